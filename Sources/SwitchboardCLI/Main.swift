import ArgumentParser
import Foundation
import Switchboard

@main
enum Main {
    static func main() async {
        SignalCleanup.install()
        let arguments = reorderGlobalOptions(Array(CommandLine.arguments.dropFirst()))
        let verbose = arguments.contains("--verbose")
        do {
            var command = try SwitchboardCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch {
            exit(report(error, verbose: verbose))
        }
    }

    /// Moves global options written before the subcommand to the end, so `switchboard --config X call ...`
    /// parses like `switchboard call ... --config X`.
    static func reorderGlobalOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard let takesValue = GlobalOptions.names[name] else { break }
            leading.append(argument)
            if takesValue && !argument.contains("=") && index + 1 < arguments.count {
                leading.append(arguments[index + 1])
                index += 1
            }
            index += 1
        }
        guard !leading.isEmpty else { return arguments }
        var rest = Array(arguments[index...])
        if let terminator = rest.firstIndex(of: "--") {
            rest.insert(contentsOf: leading, at: terminator)
        } else {
            rest += leading
        }
        return rest
    }

    /// Prints an error on stderr (a configuration error: each finding on its line) and returns the exit code: 2 before any service was called, 1 after.
    static func report(_ error: any Error, verbose: Bool) -> Int32 {
        switch error {
        case let error as IntegrationError:
            printError("error: \(error.description)")
            if verbose { printError("detail: \(error.debugDescription)") }
            return error.code.isUsageError ? 2 : 1
        case let error as ConfigurationError:
            // Every finding, one a line (a file is fixed in one pass, not one error per run); capped for a file
            // that is not configuration at all.
            let shown = verbose ? error.diagnostics.count : 20
            for diagnostic in error.diagnostics.prefix(shown) { printError("error: \(diagnostic)") }
            if error.diagnostics.count > shown {
                printError("error: ... and \(error.diagnostics.count - shown) more (--verbose shows all)")
            }
            if error.diagnostics.isEmpty { printError("error: \(error.description)") }
            return 2
        case let error as CLIError:
            printError("error: \(error.description)")
            return 2
        case is CancellationError:
            printError("error: cancelled")
            return 1
        default:
            let code = SwitchboardCommand.exitCode(for: error)
            let message = SwitchboardCommand.fullMessage(for: error)
            if code == .success {
                print(message)
                return 0
            }
            if let exit = error as? ExitCode {
                return exit.rawValue
            }
            if code == .validationFailure {
                printError(message)
                return 2
            }
            printError("error: \(message.isEmpty ? String(describing: error) : message)")
            return 1
        }
    }
}
