/// The VEVENTs of one UID: the series (DTSTART, RRULE, RDATE, EXDATE) and its RECURRENCE-ID overrides, expanded
/// into instances within a window.
public struct EventSeries: Sendable {
    public var uid: String
    /// The VEVENT without RECURRENCE-ID (nil when a file holds only overrides).
    public var master: ICalComponent?
    public var overrides: [ICalComponent]

    public init(uid: String, master: ICalComponent?, overrides: [ICalComponent] = []) {
        self.uid = uid
        self.master = master
        self.overrides = overrides
    }

    /// Whether it repeats (RRULE or RDATE).
    public var isRecurring: Bool {
        guard let master else { return false }
        return master.property("RRULE") != nil || master.property("RDATE") != nil
    }

    /// The instances in `window`, in order of start.
    /// - Throws: ``ICalendarError`` naming the line of a bad value, an unknown zone, or an RRULE part; and when
    ///   the window holds more instances than `window.maximumInstances`.
    public func occurrences(in window: ExpansionWindow, zones: ZoneTable) throws -> [Occurrence] {
        var result: [Occurrence] = []
        var replaced: Set<Int64> = []
        var parsedOverrides: [(ICalComponent, ICalTime, Int64)] = []
        var ranges: [Range] = []
        for override in overrides {
            guard let property = override.property("RECURRENCE-ID") else { continue }
            let id = try ICalTime.parse(property)
            let instant = try zones.instant(of: id, line: property.line)
            replaced.insert(instant)
            parsedOverrides.append((override, id, instant))
            if property.parameter("RANGE")?.uppercased() == "THISANDFUTURE",
                let moved = try single(override, window: ExpansionWindow.everything, zones: zones, defaultStart: id)
            {
                ranges.append(
                    Range(
                        from: instant,
                        shift: moved.startInstant - instant,
                        length: moved.endInstant - moved.startInstant,
                        component: override
                    )
                )
            }
        }
        ranges.sort { $0.from < $1.from }
        if let master {
            result = try expand(master, window: window, zones: zones, replaced: replaced, ranges: ranges)
        }
        for (override, id, _) in parsedOverrides {
            guard var occurrence = try single(override, window: window, zones: zones, defaultStart: id) else {
                continue
            }
            occurrence.recurrenceID = id
            result.append(occurrence)
        }
        result.sort { ($0.startInstant, $0.endInstant) < ($1.startInstant, $1.endInstant) }
        if let limit = window.limit, result.count > limit { result.removeLast(result.count - limit) }
        return result
    }

    /// A `RECURRENCE-ID;RANGE=THISANDFUTURE` override: the instances from `from` on move by `shift`, last
    /// `length`, and take the override's properties.
    struct Range {
        var from: Int64
        var shift: Int64
        var length: Int64
        var component: ICalComponent
    }

    /// How long each instance lasts: exact seconds (from DTEND), or nominal days plus seconds (from DURATION).
    struct Length {
        var exactSeconds: Int64?
        var nominal: ICalDuration?
        var days: Int?
    }

    private func length(of event: ICalComponent, start: ICalTime, zones: ZoneTable) throws -> Length {
        if let endProperty = event.property("DTEND") {
            let end = try ICalTime.parse(endProperty)
            if start.isDate {
                let days = end.civil.date.dayNumber - start.civil.dayNumber
                guard days >= 0 else {
                    throw ICalendarError(line: endProperty.line, "DTEND is before DTSTART in event \(uid)")
                }
                return Length(days: days)
            }
            let seconds =
                try zones.instant(of: end, line: endProperty.line)
                - zones.instant(of: start, line: event.line)
            guard seconds >= 0 else {
                throw ICalendarError(line: endProperty.line, "DTEND is before DTSTART in event \(uid)")
            }
            return Length(exactSeconds: seconds)
        }
        if let durationProperty = event.property("DURATION") {
            let duration = try ICalDuration.parse(durationProperty.value, line: durationProperty.line)
            guard duration.days >= 0 && duration.seconds >= 0 else {
                throw ICalendarError(line: durationProperty.line, "DURATION is negative in event \(uid)")
            }
            if start.isDate { return Length(days: duration.days + Int(duration.seconds / 86_400)) }
            return Length(nominal: duration)
        }
        // RFC 5545 §3.6.1: a date lasts one day; a date-time none.
        return start.isDate ? Length(days: 1) : Length(exactSeconds: 0)
    }

    /// An occurrence starting at `start` (the same kind of value as DTSTART).
    private func occurrence(
        _ event: ICalComponent,
        start: ICalTime,
        length: Length,
        zone: ICalZone?
    ) -> Occurrence {
        let startInstant = zone?.instant(of: start.civil) ?? start.civil.secondsSinceEpoch
        var endTime: ICalTime
        var endInstant: Int64
        if let days = length.days {
            endTime = start.with(start.civil.adding(days: days))
            endInstant = endTime.civil.secondsSinceEpoch
        } else if let nominal = length.nominal {
            let wall = start.civil.adding(days: nominal.days)
            endInstant = (zone?.instant(of: wall) ?? wall.secondsSinceEpoch) + nominal.seconds
            endTime = start.with(wallTime(endInstant, zone: zone))
        } else {
            endInstant = startInstant + (length.exactSeconds ?? 0)
            endTime = start.with(wallTime(endInstant, zone: zone))
        }
        let isZoned: Bool
        if case .zoned = start { isZoned = true } else { isZoned = false }
        return Occurrence(
            uid: uid,
            start: start,
            end: endTime,
            startInstant: startInstant,
            endInstant: endInstant,
            startOffset: isZoned ? zone?.offset(atUTC: startInstant) : nil,
            endOffset: isZoned ? zone?.offset(atUTC: endInstant) : nil,
            recurrenceID: nil,
            component: event
        )
    }

    /// An instance moved by a THISANDFUTURE override.
    private func moved(_ occurrence: Occurrence, by range: Range, zone: ICalZone?) -> Occurrence {
        var result = occurrence
        result.startInstant += range.shift
        result.endInstant = result.startInstant + range.length
        if !occurrence.start.isDate {
            result.start = occurrence.start.with(wallTime(result.startInstant, zone: zone))
            result.end = occurrence.start.with(wallTime(result.endInstant, zone: zone))
            if result.startOffset != nil {
                result.startOffset = zone?.offset(atUTC: result.startInstant)
                result.endOffset = zone?.offset(atUTC: result.endInstant)
            }
        } else {
            result.start = occurrence.start.with(CivilTime(secondsSinceEpoch: result.startInstant))
            result.end = occurrence.start.with(CivilTime(secondsSinceEpoch: result.endInstant))
        }
        result.component = range.component
        return result
    }

    private func wallTime(_ instant: Int64, zone: ICalZone?) -> CivilTime {
        guard let zone else { return CivilTime(secondsSinceEpoch: instant) }
        return CivilTime(secondsSinceEpoch: instant + Int64(zone.offset(atUTC: instant)))
    }

    private func zone(of time: ICalTime, zones: ZoneTable, line: Int) throws -> ICalZone? {
        switch time {
        case .zoned(_, let tzid): try zones.zone(tzid, line: line)
        case .utc: .utc
        case .date, .floating: nil
        }
    }

    /// A non-recurring event, or an override.
    private func single(
        _ event: ICalComponent,
        window: ExpansionWindow,
        zones: ZoneTable,
        defaultStart: ICalTime? = nil
    ) throws -> Occurrence? {
        let startProperty = event.property("DTSTART")
        guard let start = try startProperty.map(ICalTime.parse) ?? defaultStart else {
            throw ICalendarError(line: event.line, "VEVENT \(uid) has no DTSTART")
        }
        let zone = try zone(of: start, zones: zones, line: startProperty?.line ?? event.line)
        let occurrence = occurrence(
            event,
            start: start,
            length: try length(of: event, start: start, zones: zones),
            zone: zone
        )
        return window.contains(start: occurrence.startInstant, end: occurrence.endInstant) ? occurrence : nil
    }

    private func expand(
        _ event: ICalComponent,
        window: ExpansionWindow,
        zones: ZoneTable,
        replaced: Set<Int64>,
        ranges: [Range]
    ) throws -> [Occurrence] {
        guard let startProperty = event.property("DTSTART") else {
            throw ICalendarError(line: event.line, "VEVENT \(uid) has no DTSTART")
        }
        let start = try ICalTime.parse(startProperty)
        let zone = try zone(of: start, zones: zones, line: startProperty.line)
        let length = try length(of: event, start: start, zones: zones)
        let rules = try event.properties("RRULE").map { try RecurrenceRule(parsing: $0.value, line: $0.line) }
        var periodLengths: [CivilTime: Int64] = [:]
        let rdates = try event.properties("RDATE").flatMap { property -> [ICalTime] in
            try ICalTime.parsePeriods(property, zones: zones).map { value, length in
                // An RDATE in another zone than DTSTART is moved to DTSTART's wall time.
                var moved = start.with(value.civil)
                if case .zoned = start, let zone {
                    let instant = try zones.instant(of: value, line: property.line)
                    moved = start.with(CivilTime(secondsSinceEpoch: instant + Int64(zone.offset(atUTC: instant))))
                }
                if let length { periodLengths[moved.civil] = length }
                return moved
            }
        }
        if rules.isEmpty && rdates.isEmpty {
            guard let one = try single(event, window: window, zones: zones) else { return [] }
            return replaced.contains(one.startInstant) ? [] : [one]
        }
        var excludedInstants: Set<Int64> = replaced
        var excludedDays: Set<Int> = []
        for property in event.properties("EXDATE") {
            for value in try ICalTime.parseList(property) {
                if value.isDate && !start.isDate {
                    excludedDays.insert(value.civil.dayNumber)
                } else {
                    excludedInstants.insert(try zones.instant(of: value, line: property.line))
                }
            }
        }
        // Wall-time bounds: offsets are within ±18 h, and an instance that overlaps starts at most its length
        // before the window.
        let margin: Int64 = 18 * 3600
        let longest =
            (length.exactSeconds ?? 0) + Int64((length.days ?? length.nominal?.days ?? 0) + 1) * 86_400
            + (length.nominal?.seconds ?? 0)
        let moves = ranges.map { abs($0.shift) + $0.length }.max() ?? 0
        let wallUpper = CivilTime(secondsSinceEpoch: window.upper + margin + moves)
        let wallLower = CivilTime(
            secondsSinceEpoch: window.lower - margin - moves - (window.overlapping ? longest : 0)
        )

        var starts: [CivilTime] = [start.civil]
        starts += rdates.map(\.civil)
        var truncated = false
        for rule in rules {
            var untilLocal: CivilTime?
            if let until = rule.until {
                switch (until, start) {
                // A date UNTIL is its midnight (inclusive), for a date-time DTSTART too, as common readers take it.
                case (.date(let d), _): untilLocal = d
                case (_, .date): untilLocal = until.civil.date
                case (.utc(let c), .zoned): untilLocal = wallTime(c.secondsSinceEpoch, zone: zone)
                default: untilLocal = until.civil
                }
            }
            var iterator = RecurrenceIterator(rule: rule, start: start.civil, untilLocal: untilLocal)
            iterator.upperBound = wallUpper
            iterator.skip(to: wallLower)
            var produced = 0
            // With a limit, the first `limit` instances (plus as many as EXDATE may remove) are enough.
            let enough = window.limit.flatMap { excludedDays.isEmpty ? $0 + excludedInstants.count + 1 : nil }
            let surelyInside = CivilTime(secondsSinceEpoch: window.lower + margin)
            var inWindow = 0
            while let next = iterator.next() {
                if next >= wallLower {
                    starts.append(next)
                    if next >= surelyInside { inWindow += 1 }
                    if let enough, inWindow >= enough { break }
                }
                produced += 1
                if produced > window.maximumInstances + 10_000 {
                    truncated = true
                    break
                }
            }
            if iterator.truncated { truncated = true }
        }
        starts.sort()
        var result: [Occurrence] = []
        var previous: CivilTime?
        for wall in starts {
            if wall == previous { continue }
            previous = wall
            if !excludedDays.isEmpty && excludedDays.contains(wall.dayNumber) { continue }
            let instanceLength = periodLengths[wall].map { Length(exactSeconds: $0) } ?? length
            var marked = occurrence(event, start: start.with(wall), length: instanceLength, zone: zone)
            if excludedInstants.contains(marked.startInstant) { continue }
            marked.recurrenceID = marked.start
            if let range = ranges.last(where: { $0.from <= marked.startInstant }) {
                marked = moved(marked, by: range, zone: zone)
            }
            guard window.contains(start: marked.startInstant, end: marked.endInstant) else { continue }
            result.append(marked)
            if let limit = window.limit, result.count >= limit { break }
            if result.count > window.maximumInstances {
                throw ICalendarError(
                    line: event.line,
                    "event \(uid) has more than \(window.maximumInstances) instances in the window; narrow it"
                )
            }
        }
        if truncated && window.limit.map({ result.count < $0 }) ?? true {
            throw ICalendarError(
                line: event.line,
                "event \(uid)'s RRULE produces too many instances to expand in this window; narrow it"
            )
        }
        return result
    }
}
