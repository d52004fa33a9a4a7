import SwitchboardCore
import Testing

@Suite struct CircuitBreakerTests {
    func machine(window: Int = 4, minimum: Int = 4, rate: Double = 0.5, probes: Int = 2) -> CircuitBreakerStateMachine {
        var configuration = CircuitBreakerStateMachine.Configuration()
        configuration.windowSize = window
        configuration.minimumCalls = minimum
        configuration.failureRateThreshold = rate
        configuration.openDuration = .seconds(30)
        configuration.halfOpenProbes = probes
        return CircuitBreakerStateMachine(configuration: configuration)
    }

    @Test func staysClosedUntilTheMinimumCallsAreSeen() {
        var breaker = machine()
        for _ in 0..<3 { #expect(breaker.record(failure: true, probe: false, now: .zero) == nil) }
        #expect(breaker.state == .closed)
        let transition = breaker.record(failure: true, probe: false, now: .seconds(1))
        #expect(transition?.from == .closed && transition?.to == .open)
    }

    @Test func theWindowSlides() {
        var breaker = machine(window: 4, minimum: 4, rate: 0.75)
        // f f s s → 50 %: closed; then s → window f s s s = 25 %; then f f → s s f f = 50 %; f → s f f f = 75 %.
        for outcome in [true, true, false, false, false, true, true] {
            _ = breaker.record(failure: outcome, probe: false, now: .zero)
        }
        #expect(breaker.state == .closed)
        #expect(breaker.record(failure: true, probe: false, now: .zero)?.to == .open)
    }

    @Test func openRefusesThenHalfOpenLetsALimitedNumberOfProbesThrough() {
        var breaker = machine(probes: 2)
        for _ in 0..<4 { _ = breaker.record(failure: true, probe: false, now: .seconds(10)) }
        #expect(breaker.acquire(now: .seconds(20)).0 == .refused(retryAfter: .seconds(20)))
        let (first, transition) = breaker.acquire(now: .seconds(40))
        #expect(first == .allowed(probe: true))
        #expect(transition == .init(from: .open, to: .halfOpen))
        #expect(breaker.acquire(now: .seconds(40)).0 == .allowed(probe: true))
        #expect(breaker.acquire(now: .seconds(40)).0 == .refused(retryAfter: .zero), "only two probes at once")
        #expect(breaker.record(failure: false, probe: true, now: .seconds(41)) == nil)
        #expect(breaker.record(failure: false, probe: true, now: .seconds(41)) == .init(from: .halfOpen, to: .closed))
        #expect(breaker.state == .closed)
    }

    @Test func aFailedProbeReopens() {
        var breaker = machine(probes: 2)
        for _ in 0..<4 { _ = breaker.record(failure: true, probe: false, now: .zero) }
        _ = breaker.acquire(now: .seconds(30))
        #expect(breaker.record(failure: true, probe: true, now: .seconds(31)) == .init(from: .halfOpen, to: .open))
        #expect(breaker.acquire(now: .seconds(32)).0 == .refused(retryAfter: .seconds(29)))
    }

    @Test func aNeutralProbeFreesItsSlot() {
        var breaker = machine(probes: 1)
        for _ in 0..<4 { _ = breaker.record(failure: true, probe: false, now: .zero) }
        #expect(breaker.acquire(now: .seconds(30)).0 == .allowed(probe: true))
        #expect(breaker.acquire(now: .seconds(30)).0 == .refused(retryAfter: .zero))
        _ = breaker.record(failure: nil, probe: true, now: .seconds(30))
        #expect(breaker.acquire(now: .seconds(30)).0 == .allowed(probe: true))
    }
}
