/// Just enough XML for S3's replies: elements, text and the five entities plus numeric references. Attributes,
/// comments, processing instructions and CDATA markers are skipped. Not a general XML parser.
struct XMLElement: Sendable {
    var name: String
    var children: [XMLElement] = []
    var text = ""

    /// The first child named `name`.
    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    /// Every child named `name`.
    func all(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The text of the first child named `name`.
    func value(_ name: String) -> String? { child(name)?.text }

    /// Parses `text`; `nil` when it holds no element.
    static func parse(_ text: String) -> XMLElement? {
        var stack: [XMLElement] = [XMLElement(name: "#document")]
        let bytes = Array(text.utf8)
        var i = 0
        var textStart = 0
        func flushText(_ end: Int) {
            if end > textStart, stack.count > 1 {
                stack[stack.count - 1].text += decode(String(decoding: bytes[textStart..<end], as: UTF8.self))
            }
        }
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "<") else {
                i += 1
                continue
            }
            flushText(i)
            // Find the end of the tag.
            var j = i + 1
            if bytes[j...].starts(with: Array("![CDATA[".utf8)) {
                let start = j + 8
                var k = start
                while k + 2 < bytes.count,
                    !(bytes[k] == UInt8(ascii: "]") && bytes[k + 1] == UInt8(ascii: "]")
                        && bytes[k + 2] == UInt8(ascii: ">"))
                { k += 1 }
                if stack.count > 1 {
                    stack[stack.count - 1].text += String(decoding: bytes[start..<min(k, bytes.count)], as: UTF8.self)
                }
                i = k + 3
                textStart = i
                continue
            }
            while j < bytes.count, bytes[j] != UInt8(ascii: ">") { j += 1 }
            guard j < bytes.count else { break }
            let inner = bytes[(i + 1)..<j]
            i = j + 1
            textStart = i
            guard let first = inner.first else { continue }
            if first == UInt8(ascii: "?") || first == UInt8(ascii: "!") { continue }
            if first == UInt8(ascii: "/") {
                if stack.count > 1 {
                    let done = stack.removeLast()
                    stack[stack.count - 1].children.append(done)
                }
                continue
            }
            let selfClosing = inner.last == UInt8(ascii: "/")
            let nameBytes = inner.prefix {
                $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "\n")
                    && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r")
            }
            let element = XMLElement(name: String(decoding: nameBytes, as: UTF8.self))
            if selfClosing {
                stack[stack.count - 1].children.append(element)
            } else {
                stack.append(element)
            }
        }
        while stack.count > 1 {
            let done = stack.removeLast()
            stack[stack.count - 1].children.append(done)
        }
        return stack[0].children.first
    }

    static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                if entity.hasPrefix("#x"), let code = UInt32(entity.dropFirst(2), radix: 16),
                    let scalar = Unicode.Scalar(code)
                {
                    out.unicodeScalars.append(scalar)
                } else if entity.hasPrefix("#"), let code = UInt32(entity.dropFirst()),
                    let scalar = Unicode.Scalar(code)
                {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += "&" + entity + ";"
                }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }

    /// Escapes text for an element body.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}
