import Foundation
import Testing

@testable import SwitchboardCalendar

/// RRULE expansion, on RFC 5545 §3.8.5.3's own examples, DST, bounds and bad rules.
@Suite struct RecurrenceTests {
    /// The local start times (`YYYY-MM-DDTHH:MM:SS`) of the first `limit` instances of an event.
    static func starts(
        _ dtstart: String,
        _ rule: String,
        tzid: String? = "America/New_York",
        extra: String = "",
        limit: Int = 50,
        from: Int64 = 0,
        to: Int64 = 4_102_444_800
    ) throws -> [String] {
        let start = tzid.map { "DTSTART;TZID=\($0):\(dtstart)" } ?? "DTSTART:\(dtstart)"
        let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\n\(start)\nRRULE:\(rule)\n\(extra)END:VEVENT\nEND:VCALENDAR\n"
        let document = try ICalendarDocument(parsing: Array(text.utf8))
        return try document.occurrences(in: ExpansionWindow(lower: from, upper: to, overlapping: false, limit: limit))
            .map { $0.start.civil.description }
    }

    static func days(_ list: [String]) -> [String] { list.map { String($0.prefix(10)) } }

    @Test func dailyForTenOccurrences() throws {
        let result = try Self.starts("19970902T090000", "FREQ=DAILY;COUNT=10")
        #expect(result.count == 10)
        #expect(result.first == "1997-09-02T09:00:00")
        #expect(result.last == "1997-09-11T09:00:00")
    }

    @Test func monthlyOnTheSecondToLastMonday() throws {
        #expect(
            Self.days(try Self.starts("19970922T090000", "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO")) == [
                "1997-09-22", "1997-10-20", "1997-11-17", "1997-12-22", "1998-01-19", "1998-02-16",
            ]
        )
    }

    @Test func monthlyOnTheThirdToLastDay() throws {
        #expect(
            Self.days(try Self.starts("19970928T090000", "FREQ=MONTHLY;BYMONTHDAY=-3", limit: 6)) == [
                "1997-09-28", "1997-10-29", "1997-11-28", "1997-12-29", "1998-01-29", "1998-02-26",
            ]
        )
    }

    @Test func yearlyOnThe20thMondayAndInWeek20() throws {
        #expect(
            Self.days(try Self.starts("19970519T090000", "FREQ=YEARLY;BYDAY=20MO", limit: 3)) == [
                "1997-05-19", "1998-05-18", "1999-05-17",
            ]
        )
        #expect(
            Self.days(try Self.starts("19970512T090000", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", limit: 3)) == [
                "1997-05-12", "1998-05-11", "1999-05-17",
            ]
        )
    }

    @Test func bySetPosPicksTheSecondToLastWorkday() throws {
        #expect(
            Self.days(try Self.starts("19970929T090000", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", limit: 7))
                == [
                    "1997-09-29", "1997-10-30", "1997-11-27", "1997-12-30", "1998-01-29", "1998-02-26", "1998-03-30",
                ]
        )
    }

    @Test func fridayThe13th() throws {
        let result = try Self.starts(
            "19970902T090000",
            "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
            extra: "EXDATE;TZID=America/New_York:19970902T090000\n",
            limit: 5
        )
        #expect(Self.days(result) == ["1998-02-13", "1998-03-13", "1998-11-13", "1999-08-13", "2000-10-13"])
    }

    @Test func everyThreeHoursUntilUTC() throws {
        let result = try Self.starts("19970902T090000", "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T210000Z")
        #expect(result == ["1997-09-02T09:00:00", "1997-09-02T12:00:00", "1997-09-02T15:00:00"])
    }

    @Test func usPresidentialElectionDay() throws {
        let result = try Self.starts(
            "19961105T090000",
            "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8",
            limit: 3
        )
        #expect(Self.days(result) == ["1996-11-05", "2000-11-07", "2004-11-02"])
    }

    @Test func weekStartChangesBiweeklyInstances() throws {
        #expect(
            Self.days(try Self.starts("19970805T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO")) == [
                "1997-08-05", "1997-08-10", "1997-08-19", "1997-08-24",
            ]
        )
        #expect(
            Self.days(try Self.starts("19970805T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU")) == [
                "1997-08-05", "1997-08-17", "1997-08-19", "1997-08-31",
            ]
        )
    }

    @Test func monthDaysAMonthLacksAreSkipped() throws {
        #expect(
            Self.days(try Self.starts("20260131T100000", "FREQ=MONTHLY;COUNT=4", tzid: nil)) == [
                "2026-01-31", "2026-03-31", "2026-05-31", "2026-07-31",
            ]
        )
        #expect(
            Self.days(try Self.starts("20240229T100000", "FREQ=YEARLY;COUNT=2", tzid: nil)) == [
                "2024-02-29", "2028-02-29",
            ]
        )
    }

    @Test func everyMinuteAndSecondLevelRules() throws {
        #expect(
            try Self.starts("19970902T090000", "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10;COUNT=6") == [
                "1997-09-02T09:00:00", "1997-09-02T09:20:00", "1997-09-02T09:40:00", "1997-09-02T10:00:00",
                "1997-09-02T10:20:00", "1997-09-02T10:40:00",
            ]
        )
        #expect(
            try Self.starts("20260101T000000", "FREQ=SECONDLY;INTERVAL=15;COUNT=3", tzid: nil).last
                == "2026-01-01T00:00:30"
        )
    }

    @Test func exdatedInstancesStillCountTowardsCount() throws {
        let result = try Self.starts(
            "20260105T090000",
            "FREQ=DAILY;COUNT=5",
            tzid: "Europe/Berlin",
            extra: "EXDATE;TZID=Europe/Berlin:20260106T090000,20260107T090000\n"
        )
        #expect(Self.days(result) == ["2026-01-05", "2026-01-08", "2026-01-09"])
    }

    @Test func aWeeklyBerlinMeetingStaysAtNineAcrossBothDSTChanges() throws {
        let text = """
            BEGIN:VCALENDAR
            BEGIN:VEVENT
            UID:weekly
            DTSTART;TZID=Europe/Berlin:20260302T090000
            DTEND;TZID=Europe/Berlin:20260302T100000
            RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261130T235959Z
            END:VEVENT
            END:VCALENDAR

            """
        let instances = try ICalendarDocument(parsing: Array(text.utf8))
            .occurrences(in: ExpansionWindow(lower: 0, upper: 2_000_000_000, overlapping: false))
        #expect(instances.count == 40)
        for instance in instances {
            #expect(instance.startText.dropFirst(11).hasPrefix("09:00:00"), "\(instance.startText)")
            #expect(instance.endText.dropFirst(11).hasPrefix("10:00:00"))
        }
        #expect(instances.first?.startText == "2026-03-02T09:00:00+01:00")
        #expect(instances.first { $0.start.civil.month == 4 }?.startText == "2026-04-06T09:00:00+02:00")
        #expect(instances.last?.startText == "2026-11-30T09:00:00+01:00")
    }

    @Test func aWallTimeThatDoesNotExistMovesForward() throws {
        let zone = try #require(ICalZone.system("Europe/Berlin"))
        let instant = zone.instant(of: CivilTime(year: 2026, month: 3, day: 29, hour: 2, minute: 30))
        #expect(instant == CivilTime(year: 2026, month: 3, day: 29, hour: 1, minute: 30).secondsSinceEpoch)
        // Twice in October: the first (summer time).
        let twice = zone.instant(of: CivilTime(year: 2026, month: 10, day: 25, hour: 2, minute: 30))
        #expect(twice == CivilTime(year: 2026, month: 10, day: 25, hour: 0, minute: 30).secondsSinceEpoch)
    }

    @Test func aCustomVTimezoneResolvesAmbiguousAndMissingTimesAsTheFileSays() throws {
        // Each event's X-TZNAME names the observance its start must fall in (+1200 winter, +1000 summer).
        let document = try ICalendarDocument(
            parsing: try ICalendarParserTests.fixture(
                "collective-icalendar/calendars_issue_722_timezone_transition_ambiguity.ics"
            )
        )
        let names = [43_200: "winter", 36_000: "summer"]
        #expect(document.series.count == 4)
        for series in document.series {
            let event = try #require(series.master)
            let start = try ICalTime.parse(try #require(event.property("DTSTART")))
            guard case .zoned(_, let tzid) = start else {
                Issue.record("event \(series.uid) has no TZID")
                continue
            }
            let zone = try document.zones.zone(tzid)
            let offset = zone.offset(atUTC: try document.zones.instant(of: start))
            #expect(names[offset] == event.property("X-TZNAME")?.value, "event \(series.uid)")
        }
    }

    @Test func unknownAndBadPartsAreNamed() throws {
        #expect { try RecurrenceRule(parsing: "FREQ=DAILY;BYFOO=1") } throws: { error in
            (error as? ICalendarError)?.message.contains("unknown part 'BYFOO'") == true
        }
        #expect { try RecurrenceRule(parsing: "FREQ=SOMETIMES") } throws: { error in
            (error as? ICalendarError)?.message.contains("FREQ 'SOMETIMES'") == true
        }
        #expect { try RecurrenceRule(parsing: "BYDAY=MO") } throws: { error in
            (error as? ICalendarError)?.message.contains("no FREQ") == true
        }
        #expect { try RecurrenceRule(parsing: "FREQ=MONTHLY;BYMONTHDAY=32") } throws: { error in
            (error as? ICalendarError)?.message.contains("BYMONTHDAY value '32'") == true
        }
        #expect(throws: ICalendarError.self) { try RecurrenceRule(parsing: "FREQ=DAILY;COUNT=2;UNTIL=20260101") }
        let rule = try RecurrenceRule(parsing: "freq=weekly;byday=1mo,-1fr;interval=2;wkst=su")
        #expect(rule.text == "FREQ=WEEKLY;INTERVAL=2;BYDAY=1MO,-1FR;WKST=SU")
    }

    @Test func unboundedRulesOverACenturyStayBounded() throws {
        var century = ExpansionWindow(lower: 0, upper: 100 * 365 * 86_400, overlapping: false)
        century.maximumInstances = 50_000
        let daily = "BEGIN:VEVENT\nUID:d\nDTSTART:19700101T090000Z\nRRULE:FREQ=DAILY\nEND:VEVENT\n"
        let all = try ICalendarDocument(parsing: Array(daily.utf8)).occurrences(in: century)
        #expect(all.count == 36_500)
        let secondly = "BEGIN:VEVENT\nUID:s\nDTSTART:19700101T090000Z\nRRULE:FREQ=SECONDLY\nEND:VEVENT\n"
        #expect(throws: ICalendarError.self) {
            try ICalendarDocument(parsing: Array(secondly.utf8)).occurrences(in: century)
        }
        let first = try ICalendarDocument(parsing: Array(secondly.utf8))
            .occurrences(in: ExpansionWindow(lower: 0, upper: century.upper, overlapping: false, limit: 5))
        #expect(first.count == 5)
        // A rule that never matches ends at the window, quickly.
        let never =
            "BEGIN:VEVENT\nUID:n\nDTSTART:19700101T090000Z\nRRULE:FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30\nEND:VEVENT\n"
        #expect(try ICalendarDocument(parsing: Array(never.utf8)).occurrences(in: century).count == 1)
    }
}
