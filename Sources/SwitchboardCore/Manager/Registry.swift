/// The services by name; a short list is scanned, since comparing small strings is cheaper than hashing them.
struct Registry {
    private(set) var entries: [String: ServiceEntry] = [:]
    private var list: [ServiceEntry] = []

    @inline(__always)
    func entry(_ name: String) -> ServiceEntry? {
        if list.count <= 16 {
            for entry in list where entry.name == name { return entry }
            return nil
        }
        return entries[name]
    }

    mutating func insert(_ entry: ServiceEntry) {
        entries[entry.name] = entry
        list.append(entry)
    }

    mutating func remove(_ name: String) -> ServiceEntry? {
        list.removeAll { $0.name == name }
        return entries.removeValue(forKey: name)
    }
}
