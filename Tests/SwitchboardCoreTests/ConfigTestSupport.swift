import Foundation
import Switchboard
import SwitchboardCore

/// A temporary directory for one test, removed when the value is dropped.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "switchboard-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o600) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(
            atPath: file,
            contents: Data(text.utf8),
            attributes: [.posixPermissions: mode]
        )
        return file
    }

    @discardableResult
    func write(_ name: String, data: Data, mode: Int = 0o600) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: data, attributes: [.posixPermissions: mode])
        return file
    }

    func read(_ name: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path + "/" + name)!, as: UTF8.self)
    }

    /// Copies the seed's five configuration files here, owner-only.
    func copySeedFiles(mode: Int = 0o600) {
        for name in Fixtures.seedFiles {
            write(name, Fixtures.text("seed/" + name), mode: mode)
        }
    }
}

enum Fixtures {
    static let seedFiles = [
        "google_calendar_config.yaml", "email_config.yaml", "database_config.yaml", "file_storage_config.yaml",
        "integrations_config.yaml",
    ]

    static func text(_ name: String) -> String {
        let url = Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil)!
        return try! String(contentsOf: url, encoding: .utf8)
    }
}

extension ConfigurationLoader {
    static func testing(_ environment: [String: String] = [:], overrides: [String] = [], strict: Bool = false)
        -> ConfigurationLoader
    {
        SwitchboardRuntime.loader(environment: environment, overrides: overrides, strict: strict)
    }
}

func loadError(_ body: () throws -> Configuration) -> ConfigurationError? {
    do {
        _ = try body()
        return nil
    } catch let error as ConfigurationError {
        return error
    } catch {
        return nil
    }
}
