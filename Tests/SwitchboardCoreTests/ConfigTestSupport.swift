import Foundation
import Switchboard
import SwitchboardCore
import SwitchboardTesting

extension TemporaryDirectory {
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
