import ArgumentParser
import Foundation
import Switchboard
import SwitchboardHTTP

struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "Log in to OAuth2 services and show credential state.",
        subcommands: [Login.self, Status.self]
    )

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Log in to an OAuth2 service (authorization code with PKCE) and store its tokens.",
            discussion: """
                Prints the authorization URL, listens on the service's redirect_uri (which must be on loopback, \
                e.g. http://127.0.0.1:8080/callback), exchanges the code and stores the tokens, encrypted, in the \
                data directory. Later calls refresh them as needed.

                Example:
                  switchboard auth login google_calendar --config ./config
                """
        )

        @Argument(help: "The service to log in to.")
        var service: String

        @Option(
            name: .long,
            help: ArgumentHelp("How long to wait for the redirect, in seconds (default 300).", valueName: "seconds")
        )
        var timeout: Double = 300

        @OptionGroup(title: "Global options")
        var globals: GlobalOptions

        func run() async throws {
            let (service, timeout) = (self.service, self.timeout)
            let result = try await globals.withRuntime { runtime -> TokenSet in
                guard let configuration = runtime.configuration.service(service) else {
                    throw IntegrationError(
                        code: .unknownService,
                        message: "no configured service named \(service); configured: "
                            + runtime.configuration.services.map(\.name).joined(separator: ", "),
                        service: service
                    )
                }
                let settings = try HTTPAdapters.settings(for: configuration)
                guard let oauth = settings.authentication.oauth2 else {
                    throw IntegrationError(
                        code: .invalidConfiguration,
                        message:
                            "\(service) uses auth_type \(settings.authentication.typeName); only oauth2 services log in",
                        service: service
                    )
                }
                let tokens = try TokenManager(
                    service: service,
                    settings: oauth,
                    transport: runtime.http.transport,
                    store: runtime.http.tokenStore,
                    caFile: settings.caFile
                )
                let flow = try AuthorizationCodeFlow(service: service, settings: oauth, tokens: tokens)
                return try await flow.run(timeout: .milliseconds(Int64(timeout * 1000))) { url in
                    printError("Open this URL in a browser to authorize \(service):")
                    FileHandle.standardOutput.write(Data((url + "\n").utf8))
                }
            }
            let expiry = result.expiresAt.map { ISO8601DateFormatter().string(from: $0) } ?? "unknown"
            print(
                "logged in to \(service); token expires \(expiry)"
                    + (result.refreshToken == nil ? "" : ", refresh token stored")
            )
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each service's credential state (type, expiry, scopes), never a secret."
        )

        @Flag(name: .long, help: "Print one JSON document.")
        var json = false

        @OptionGroup(title: "Global options")
        var globals: GlobalOptions

        func run() async throws {
            let statuses = try await globals.withRuntime { runtime in
                await runtime.http.credentialStatuses(of: runtime.configuration)
            }
            if json {
                print(JSONValue.array(statuses.map(\.json)).jsonString())
                return
            }
            if statuses.isEmpty { print("No service with credentials is configured.") }
            for status in statuses {
                print(status.line)
            }
        }
    }
}
