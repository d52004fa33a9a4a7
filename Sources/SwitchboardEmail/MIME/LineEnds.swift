/// Line-end normalisation on UTF-8 bytes: one pass, no Foundation string search (which, bridged, cost more than
/// the whole rest of reading a message).
enum LineEnds {
    /// `text` with CRLF and lone CR line ends as LF.
    static func lineFeeds(_ text: String) -> String {
        guard text.utf8.contains(0x0D) else { return text }
        return String(decoding: lineFeeds(Array(text.utf8)), as: UTF8.self)
    }

    /// `bytes` with CRLF and lone CR as LF, in one pass over raw buffers (the output is never longer).
    static func lineFeeds(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(0x0D) else { return bytes }
        return bytes.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: source.count) { target, written in
                let count = source.count
                var i = 0
                var o = 0
                while i < count {
                    let byte = source[i]
                    if byte == 0x0D {
                        target[o] = 0x0A
                        if i + 1 < count && source[i + 1] == 0x0A { i += 1 }
                    } else {
                        target[o] = byte
                    }
                    o += 1
                    i += 1
                }
                written = o
            }
        }
    }
}
