/// Words the grammar knows: months, weekdays, numbers in words, units, and the abbreviations and typos of terse
/// writing.
enum Vocabulary {
    static let months: [String: Int] = {
        var table: [String: Int] = [:]
        let names = [
            "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
            "november", "december",
        ]
        for (index, name) in names.enumerated() {
            table[name] = index + 1
            table[String(name.prefix(3))] = index + 1
        }
        table["sept"] = 9
        table["febr"] = 2
        return table
    }()

    /// Weekday numbers as `Calendar` counts them: Sunday 1 ... Saturday 7.
    static let weekdays: [String: Int] = [
        "sunday": 1, "sun": 1, "sundays": 1,
        "monday": 2, "mon": 2, "mondays": 2,
        "tuesday": 3, "tue": 3, "tues": 3, "tuesdays": 3,
        "wednesday": 4, "wed": 4, "weds": 4, "wednesdays": 4,
        "thursday": 5, "thu": 5, "thur": 5, "thurs": 5, "thursdays": 5, "thr": 5,
        "friday": 6, "fri": 6, "fridays": 6,
        "saturday": 7, "sat": 7, "saturdays": 7,
    ]

    static let numberWords: [String: Int] = [
        "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
        "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
        "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
        "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "an": 1, "single": 1,
        "couple": 2, "few": 3, "several": 3, "dozen": 12,
    ]

    static let ordinalWords: [String: Int] = [
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
        "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
        "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
        "thirtieth": 30,
    ]

    static let ordinalSuffixes: Set<String> = ["st", "nd", "rd", "th"]

    /// Units in minutes (months and years are calendar units, marked by their own cases).
    enum Unit: Sendable, Equatable {
        case second, minute, hour, day, week, fortnight, month, year

        var minutes: Double {
            switch self {
            case .second: return 1.0 / 60
            case .minute: return 1
            case .hour: return 60
            case .day: return 1440
            case .week: return 10080
            case .fortnight: return 20160
            case .month: return 43800  // a twelfth of a year: twelve months make one year
            case .year: return 525_600
            }
        }
    }

    static let units: [String: Unit] = [
        "s": .second, "sec": .second, "secs": .second, "second": .second, "seconds": .second,
        "m": .minute, "min": .minute, "mins": .minute, "minute": .minute, "minutes": .minute, "mn": .minute,
        "h": .hour, "hr": .hour, "hrs": .hour, "hour": .hour, "hours": .hour, "hs": .hour,
        "d": .day, "day": .day, "days": .day, "dy": .day,
        "w": .week, "wk": .week, "wks": .week, "week": .week, "weeks": .week, "fortnight": .fortnight,
        "fortnights": .fortnight,
        "mo": .month, "mos": .month, "month": .month, "months": .month, "mth": .month, "mths": .month,
        "y": .year, "yr": .year, "yrs": .year, "year": .year, "years": .year,
    ]

    /// Spelling variants mapped to the word the grammar reads.
    static let aliases: [String: String] = [
        "tmrw": "tomorrow", "tmr": "tomorrow", "tmw": "tomorrow", "tomorow": "tomorrow", "tommorow": "tomorrow",
        "tommorrow": "tomorrow", "tomorrrow": "tomorrow", "tomrrow": "tomorrow", "2moro": "tomorrow",
        "2morrow": "tomorrow",
        "tmrow": "tomorrow", "tmorrow": "tomorrow", "tonite": "tonight", "tnight": "tonight", "2nite": "tonight",
        "nxt": "next", "tdy": "today", "tday": "today", "2day": "today", "yday": "yesterday", "mins": "minutes",
        "arvo": "afternoon", "aft": "afternoon", "eve": "evening", "thru": "through", "til": "until", "till": "until",
        "untill": "until", "b4": "before", "noonish": "noon", "mornin": "morning", "midday": "noon",
        "mid-day": "noon", "o'clock": "oclock", "hrs": "hours",
    ]

    /// Time-zone abbreviations and names people write after a time, as seconds east of UTC, or an IANA name for
    /// zones with daylight saving.
    static let zones: [String: String] = [
        "utc": "UTC", "gmt": "GMT", "z": "UTC", "zulu": "UTC",
        "cet": "Europe/Paris", "cest": "Europe/Paris", "eet": "Europe/Athens", "eest": "Europe/Athens",
        "wet": "Europe/Lisbon", "west": "Europe/Lisbon", "bst": "Europe/London",
        "est": "-18000", "edt": "-14400", "et": "America/New_York", "eastern": "America/New_York",
        "cst": "-21600", "cdt": "-18000", "ct": "America/Chicago", "central": "America/Chicago",
        "mst": "-25200", "mdt": "-21600", "mt": "America/Denver", "mountain": "America/Denver",
        "pst": "-28800", "pdt": "-25200", "pt": "America/Los_Angeles", "pacific": "America/Los_Angeles",
        "akst": "-32400", "hst": "-36000", "ist": "19800", "jst": "32400", "kst": "32400", "sgt": "28800",
        "hkt": "28800", "aest": "36000", "aedt": "39600", "acst": "34200", "awst": "28800", "nzst": "43200",
        "nzdt": "46800", "msk": "10800", "sast": "7200", "brt": "-10800", "art": "-10800",
    ]

    /// Filler words that never carry meaning inside a time expression.
    static let fillers: Set<String> = [
        "about", "around", "approximately", "approx", "roughly", "some", "like", "maybe", "circa", "ca",
    ]
}
