import NIOCore

/// PostgreSQL `numeric` as exactly the digits the server holds (`12.50` stays `12.50`): read from the binary
/// wire format (digit count, weight, sign, display scale, then base-10000 digits) instead of through `Decimal`,
/// which drops trailing zeros and cannot hold every value.
enum PostgresNumeric {
    /// The text of a binary `numeric` value, or `nil` when the bytes are not one.
    static func text(_ bytes: ByteBuffer) -> String? {
        var buffer = bytes
        guard let count = buffer.readInteger(as: Int16.self), let weight = buffer.readInteger(as: Int16.self),
            let sign = buffer.readInteger(as: UInt16.self), let scale = buffer.readInteger(as: Int16.self),
            count >= 0, scale >= 0, buffer.readableBytes == Int(count) * 2
        else { return nil }
        switch sign {
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        case 0x0000, 0x4000: break
        default: return nil
        }
        var digits: [Int] = []
        digits.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let digit = buffer.readInteger(as: Int16.self), (0..<10_000).contains(digit) else { return nil }
            digits.append(Int(digit))
        }
        func group(_ index: Int) -> Int { index >= 0 && index < digits.count ? digits[index] : 0 }
        var text = sign == 0x4000 ? "-" : ""
        if weight < 0 {
            text += "0"
        } else {
            text += String(group(0))
            for index in stride(from: 1, through: Int(weight), by: 1) { text += padded(group(index)) }
        }
        if scale > 0 {
            text += "."
            var fraction = ""
            var index = Int(weight) + 1
            while fraction.count < Int(scale) {
                fraction += padded(group(index))
                index += 1
            }
            text += fraction.prefix(Int(scale))
        }
        return text
    }

    private static func padded(_ group: Int) -> String {
        let digits = String(group)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}
