/// Line-end normalisation on UTF-8 bytes: one pass, no Foundation string search (which, bridged, cost more than
/// the whole rest of reading a message).
enum LineEnds {
    /// `text` with CRLF and lone CR line ends as LF.
    static func lineFeeds(_ text: String) -> String {
        guard text.utf8.contains(0x0D) else { return text }
        return String(decoding: lineFeeds(Array(text.utf8)), as: UTF8.self)
    }

    /// `bytes` with CRLF and lone CR as LF.
    static func lineFeeds(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(0x0D) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D {
                out.append(0x0A)
                if index + 1 < bytes.count && bytes[index + 1] == 0x0A { index += 1 }
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }
}
