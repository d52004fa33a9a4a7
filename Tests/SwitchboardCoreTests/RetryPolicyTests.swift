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

    @Test func retryAfterParsesSecondsAndHTTPDates() {
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(" 0 ", now: now) == .zero)
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.parse("Wednesday, 21-Oct-15 07:29:00 GMT", now: now) == .seconds(60))
        #expect(RetryAfter.parse("Wed Oct 21 07:28:10 2015", now: now) == .seconds(10))
        #expect(RetryAfter.parse("Tue, 20 Oct 2015 07:28:00 GMT", now: now) == .zero)
        #expect(RetryAfter.parse("soon", now: now) == nil)
        #expect(RetryAfter.parse("-5", now: now) == nil)
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
