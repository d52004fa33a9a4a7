import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bytes in a named charset to a Swift string: UTF-8, US-ASCII and ISO-8859-1 directly, everything else (ISO-8859-x,
/// Windows-125x, KOI8-R, ISO-2022-JP, Shift_JIS, EUC-JP, GB2312/GBK, Big5, ...) through the C library's iconv.
/// Bytes a charset cannot decode become U+FFFD; an unknown charset is read as UTF-8 (and said so).
package enum Charsets {
    /// The decoded text, and whether the charset was understood.
    package static func decode(_ bytes: some Collection<UInt8>, charset: String?) -> (text: String, known: Bool) {
        let name = normalized(charset)
        switch name {
        case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968":
            return (String(decoding: Array(bytes), as: UTF8.self), true)
        case "iso-8859-1", "latin1", "l1":
            return (String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) })), true)
        default:
            if let text = convert(Array(bytes), from: alias(name)) { return (text, true) }
            return (String(decoding: Array(bytes), as: UTF8.self), false)
        }
    }

    static func normalized(_ charset: String?) -> String {
        (charset ?? "").trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            .lowercased()
    }

    /// Names mail uses that iconv spells differently.
    static func alias(_ name: String) -> String {
        switch name {
        case "gb2312", "gb_2312-80", "x-gbk", "cp936": "GBK"
        case "ks_c_5601-1987", "ks_c_5601": "CP949"
        case "x-sjis", "shift-jis", "sjis": "SHIFT_JIS"
        case "iso-2022-jp": "ISO-2022-JP-2"
        case "windows-874": "CP874"
        default: name.uppercased()
        }
    }

    /// Converts with iconv to UTF-8; nil when iconv does not know the charset.
    static func convert(_ input: [UInt8], from charset: String) -> String? {
        let converter = iconv_open("UTF-8", charset)
        guard converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 2)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var source = input  // mutable for withUnsafeMutableBufferPointer
        var sourceIndex = 0
        while sourceIndex < source.count {
            let progress = source.withUnsafeMutableBufferPointer {
                sourceBuffer -> (consumed: Int, produced: Int, error: Int32) in
                buffer.withUnsafeMutableBufferPointer { target -> (Int, Int, Int32) in
                    var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(
                        sourceBuffer.baseAddress! + sourceIndex
                    ).assumingMemoryBound(to: CChar.self)
                    var inLeft = sourceBuffer.count - sourceIndex
                    var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(target.baseAddress!)
                        .assumingMemoryBound(to: CChar.self)
                    var outLeft = target.count
                    let before = inLeft
                    let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                    return (before - inLeft, target.count - outLeft, result == -1 ? errno : 0)
                }
            }
            output.append(contentsOf: buffer[0..<progress.produced])
            sourceIndex += progress.consumed
            switch progress.error {
            case 0: continue
            case E2BIG: continue
            default:
                // An invalid or incomplete sequence: one replacement character, skip a byte.
                output.append(contentsOf: [0xEF, 0xBF, 0xBD])
                sourceIndex += 1
                _ = iconv(converter, nil, nil, nil, nil)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
