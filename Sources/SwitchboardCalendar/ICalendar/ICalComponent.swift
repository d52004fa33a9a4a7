/// One parameter of a property (`TZID=Europe/Berlin`, `MEMBER="a","b"`): a name and its values, unquoted.
public struct ICalParameter: Sendable, Hashable {
    /// Upper-cased.
    public var name: String
    public var values: [String]

    public init(name: String, values: [String]) {
        self.name = name.uppercased()
        self.values = values
    }

    /// The first value, or "".
    public var value: String { values.first ?? "" }
}

/// One property (content line) of a component: its name, parameters and value as written (TEXT values still
/// escaped; ``textValue`` unescapes them).
public struct ICalProperty: Sendable, Hashable {
    /// Upper-cased.
    public var name: String
    public var parameters: [ICalParameter]
    public var value: String
    /// The line it started on in the source (0 when built in code).
    public var line: Int

    public init(name: String, parameters: [ICalParameter] = [], value: String, line: Int = 0) {
        self.name = name.uppercased()
        self.parameters = parameters
        self.value = value
        self.line = line
    }

    /// A TEXT property from an unescaped string.
    public init(name: String, text: String, parameters: [ICalParameter] = []) {
        self.init(name: name, parameters: parameters, value: ICalText.escape(text))
    }

    /// The value of the parameter `name`, if present.
    public func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }

    /// The value as TEXT, unescaped.
    public var textValue: String { ICalText.unescape(value) }
}

/// A component (`VCALENDAR`, `VEVENT`, `VTIMEZONE`, `VALARM`, any `X-` one): its properties, in order, and its
/// sub-components. Unknown properties and components are kept, so a document survives a round trip.
public struct ICalComponent: Sendable, Hashable {
    /// Upper-cased.
    public var name: String
    public var properties: [ICalProperty]
    public var components: [ICalComponent]
    /// The line of its BEGIN (0 when built in code).
    public var line: Int

    public init(name: String, properties: [ICalProperty] = [], components: [ICalComponent] = [], line: Int = 0) {
        self.name = name.uppercased()
        self.properties = properties
        self.components = components
        self.line = line
    }

    /// The first property called `name`.
    public func property(_ name: String) -> ICalProperty? { properties.first { $0.name == name } }

    /// Every property called `name`.
    public func properties(_ name: String) -> [ICalProperty] { properties.filter { $0.name == name } }

    /// Replaces every property called `property.name` with `property` (or removes them, for `nil`).
    public mutating func set(_ name: String, _ property: ICalProperty?) {
        if let index = properties.firstIndex(where: { $0.name == name }) {
            properties.removeAll { $0.name == name }
            if let property { properties.insert(property, at: min(index, properties.count)) }
        } else if let property {
            properties.append(property)
        }
    }

    /// Every sub-component called `name`.
    public func components(_ name: String) -> [ICalComponent] { components.filter { $0.name == name } }

    // MARK: Parsing

    /// Parses a document: one or more top-level components (usually one `VCALENDAR`; a bare `VEVENT` or
    /// `VALARM` is accepted too). CRLF and bare LF line ends are both read; folded lines are joined.
    ///
    /// - Throws: ``ICalendarError`` naming the line: a property with no colon or an empty name, an `END` that
    ///   does not match its `BEGIN`, a component left open at the end, text outside any component.
    public static func parse(_ bytes: some Collection<UInt8>) throws -> [ICalComponent] {
        var stack: [ICalComponent] = []
        var roots: [ICalComponent] = []
        try ContentLines.forEach(in: Array(bytes)) { property in
            if property.name == "BEGIN" {
                let name = property.value.trimmingSpaces.uppercased()
                guard !name.isEmpty else { throw ICalendarError(line: property.line, "BEGIN without a component name") }
                stack.append(ICalComponent(name: name, line: property.line))
            } else if property.name == "END" {
                let name = property.value.trimmingSpaces.uppercased()
                guard let open = stack.popLast() else {
                    throw ICalendarError(line: property.line, "END:\(name) without a BEGIN")
                }
                guard open.name == name else {
                    throw ICalendarError(
                        line: property.line,
                        "END:\(name) closes BEGIN:\(open.name) of line \(open.line)"
                    )
                }
                if stack.isEmpty { roots.append(open) } else { stack[stack.count - 1].components.append(open) }
            } else {
                guard !stack.isEmpty else {
                    throw ICalendarError(line: property.line, "\(property.name) outside any component (no BEGIN)")
                }
                stack[stack.count - 1].properties.append(property)
            }
        }
        if let open = stack.last {
            throw ICalendarError(line: open.line, "BEGIN:\(open.name) is never closed (no END:\(open.name))")
        }
        guard !roots.isEmpty else { throw ICalendarError("no component (no BEGIN:VCALENDAR)") }
        return roots
    }

    /// Parses a document with one top-level component.
    public static func parseOne(_ bytes: some Collection<UInt8>) throws -> ICalComponent {
        let roots = try parse(bytes)
        guard roots.count == 1 else {
            throw ICalendarError(line: roots[1].line, "a second top-level component (\(roots[1].name))")
        }
        return roots[0]
    }

    // MARK: Writing

    /// The component as iCalendar text: CRLF line ends, lines folded at 75 octets (never inside a UTF-8
    /// character), parameter values quoted where they need it.
    public func serialized() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func write(into out: inout [UInt8]) {
        ContentLines.write(ICalProperty(name: "BEGIN", value: name), into: &out)
        for property in properties { ContentLines.write(property, into: &out) }
        for component in components { component.write(into: &out) }
        ContentLines.write(ICalProperty(name: "END", value: name), into: &out)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
