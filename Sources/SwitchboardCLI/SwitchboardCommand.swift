import ArgumentParser
import Foundation
import Switchboard

struct SwitchboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract:
            "Connect automation to calendars, e-mail, databases and file storage, with retries that never duplicate a write.",
        discussion: """
            Every call goes through one IntegrationManager: rate limits, retries with jittered backoff (only when \
            safe), a circuit breaker, a bulkhead and deadlines, configured per service in integrations_config.yaml.

            Examples:
              switchboard call text stats --input '{"text": "Hello there. General Kenobi."}'
              switchboard files put ./report.pdf reports/q3.pdf
              switchboard integrations list
              switchboard --config ./config config check
              switchboard secrets keygen

            Exit codes: 0 success; 2 for a usage, input or configuration error (nothing was called); 1 when a \
            service failed or refused the call.
            """,
        version: SwitchboardVersion.current,
        subcommands: [
            CallCommand.self, ParseCommand.self, CalendarCommand.self, ICalCommand.self, EmailCommand.self,
            FilesCommand.self,
            IntegrationsCommand.self, AuthCommand.self,
            ConfigCommand.self, SecretsCommand.self,
        ]
    )
}
