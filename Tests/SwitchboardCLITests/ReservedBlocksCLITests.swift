import Foundation
import SwitchboardTesting
import Testing

/// The reserved top-level blocks are validated by the modules that own them, by `config check` too.
@Suite struct ReservedBlocksCLITests {
    @Test func configCheckValidatesTheLanguageBlock() async throws {
        let scratch = Scratch()
        let order = scratch.write("order.yaml", "language:\n  date_order: ymd\n")
        let result = try await CLI.call(["config", "check", "--config", order])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("order.yaml:2") && result.stderr.contains("language.date_order"),
            "\(result.stderr)"
        )
        let typo = scratch.write("typo.yaml", "language:\n  windws:\n    morning: \"08:00-12:00\"\n")
        let refused = try await CLI.call(["config", "check", "--config", typo])
        #expect(refused.status == 2 && refused.stderr.contains("did you mean windows?"), "\(refused.stderr)")
        let fine = scratch.write(
            "fine.yaml",
            "language:\n  date_order: dmy\n  windows:\n    morning: \"07:00-11:00\"\n"
        )
        #expect(try await CLI.call(["config", "check", "--config", fine]).status == 0)
        let parsed = try await CLI.call([
            "parse", "on 3/5 at 10", "--config", fine, "--now", "2026-03-01T09:00:00Z", "--timezone", "UTC",
        ])
        #expect(parsed.stdout.contains(#""start":"2026-05-03T10:00:00+00:00""#), "day first: \(parsed.stdout)")
    }
}
