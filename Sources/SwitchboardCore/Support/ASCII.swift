/// ASCII text helpers for protocol names (HTTP and mail header names, charsets, methods): no Foundation
/// locale-aware machinery, no allocation when nothing changes.
package enum ASCII {
    /// Whether `a` and `b` are equal ignoring ASCII case.
    package static func caseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
        let x = a.utf8
        let y = b.utf8
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where p != q {
            let lp = (0x41...0x5A).contains(p) ? p | 0x20 : p
            let lq = (0x41...0x5A).contains(q) ? q | 0x20 : q
            if lp != lq { return false }
        }
        return true
    }

    /// `text` with ASCII letters lower-cased; no copy when there is nothing to change.
    package static func lowercased(_ text: String) -> String {
        guard text.utf8.contains(where: { (0x41...0x5A).contains($0) }) else { return text }
        return String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
