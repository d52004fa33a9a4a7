import Foundation
import SwitchboardCore
import Testing

@Suite struct RetryPolicyTests {
    @Test func backoffIsFullJitterExponentialAndCapped() {
        var policy = RetryPolicy()
        policy.base = .milliseconds(200)
        policy.cap = .seconds(1)
        #expect(policy.delay(beforeRetry: 1, retryAfter: nil, random: 0) == .zero)
        #expect(policy.delay(beforeRetry: 1, retryAfter: nil, random: 1) == .milliseconds(200))
        #expect(policy.delay(beforeRetry: 2, retryAfter: nil, random: 1) == .milliseconds(400))
        #expect(policy.delay(beforeRetry: 3, retryAfter: nil, random: 0.5) == .milliseconds(400))
        #expect(policy.delay(beforeRetry: 10, retryAfter: nil, random: 1) == .seconds(1))
        #expect(policy.delay(beforeRetry: 100, retryAfter: nil, random: 1) == .seconds(1))
    }

    @Test func retryAfterRaisesTheDelay() {
        let policy = RetryPolicy()
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(7), random: 0.5) == .seconds(7))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .milliseconds(1), random: 1) == .milliseconds(200))
    }

    @Test func onlyTransientErrorsAreRetriedAndOnlyWhenRepeatable() {
        let unavailable = IntegrationError.status(503, message: "unavailable")
        let internalError = IntegrationError.status(500, message: "boom")
        let notFound = IntegrationError.status(404, message: "missing")
        for status in [408, 429, 502, 503, 504] {
            #expect(RetryPolicy.shouldRetry(IntegrationError.status(status, message: ""), repeatable: true))
        }
        #expect(RetryPolicy.shouldRetry(unavailable, repeatable: true))
        #expect(!RetryPolicy.shouldRetry(unavailable, repeatable: false))
        #expect(RetryPolicy.shouldRetry(internalError, repeatable: true))
        #expect(!RetryPolicy.shouldRetry(notFound, repeatable: true))
        #expect(!RetryPolicy.shouldRetry(CancellationError(), repeatable: true))
        struct Plain: Error {}
        #expect(!RetryPolicy.shouldRetry(Plain(), repeatable: true), "unclassified errors are final")
        #expect(RetryPolicy.shouldRetry(IntegrationError.connectionFailed("refused"), repeatable: true))
    }
}

@Suite struct NotSentTests {
    @Test func aRequestThatNeverLeftIsRetriedEvenForAWrite() {
        let refused = IntegrationError.connectionFailed("connection refused", sent: false)
        let reset = IntegrationError.connectionFailed("connection reset", sent: true)
        #expect(RetryPolicy.shouldRetry(refused, repeatable: false))
        #expect(!RetryPolicy.shouldRetry(reset, repeatable: false))
        #expect(RetryPolicy.shouldRetry(reset, repeatable: true))
    }
}

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(
            #" {"a": [1, -2, 3.5, 1e3, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00", "o": {}} "#
        )
        #expect(value["a"] == [1, -2, 3.5, 1000.0, true, false, nil])
        #expect(value["s"] == "x\"\\/\né😀")
        #expect(value["o"] == [:])
        #expect(try JSONValue.parse("9223372036854775807") == .int(Int.max))
        #expect(try JSONValue.parse("92233720368547758070") == .double(9.223372036854775807e19))
        #expect(try JSONValue.parse(#""plain""#) == "plain")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "tru", "\"\u{01}\"", "[1] x", "\"\\ud800\"", "{\"a\":1,}",
    ])
    func refusesInvalidJSONWithAPosition(text: String) {
        #expect(throws: IntegrationError.self) { try JSONValue.parse(text) }
        let message =
            (try? JSONValue.parse(text)).map { _ in "" }
            ?? {
                do { _ = try JSONValue.parse(text); return "" } catch { return "\(error)" }
            }()
        #expect(message.contains("line 1, column"))
    }

    @Test func roundTripsThroughItsOwnText() throws {
        let value: JSONValue = ["k": ["x", 1, 2.5, nil, ["n": false]], "e": "tab\there"]
        #expect(try JSONValue.parse(value.jsonString()) == value)
        #expect(try JSONValue.parse(value.jsonString(pretty: true)) == value)
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: IntegrationError.self) { try JSONValue.parse(deep) }
    }
}
