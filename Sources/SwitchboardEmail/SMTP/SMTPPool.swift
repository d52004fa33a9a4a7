import SwitchboardCore

/// Authenticated SMTP sessions kept open between messages: at most `maximum` at once (the service's
/// `max_connections`), each reset with RSET before it carries the next message.
///
/// A session that failed to authenticate is never retried here: the refusal goes to the caller, and no other
/// connection is opened for that call.
package actor SMTPPool {
    private let settings: SMTPSettings
    private let maximum: Int
    private var idle: [SMTPSession] = []
    private var open = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var closed = false

    package init(settings: SMTPSettings, maximum: Int) {
        self.settings = settings
        self.maximum = max(1, maximum)
    }

    /// Runs `body` on a session: an idle one that answers RSET, else a new one.
    package func withSession<T: Sendable>(
        _ body: @Sendable (SMTPSession) async throws -> (T, reusable: Bool)
    ) async throws -> T {
        let session = try await acquire()
        do {
            let (value, reusable) = try await body(session)
            await release(session, reusable: reusable)
            return value
        } catch {
            await release(session, reusable: false)
            throw error
        }
    }

    private func acquire() async throws -> SMTPSession {
        while true {
            if closed {
                throw IntegrationError(code: .internalError, message: "the SMTP connection pool has been shut down")
            }
            while let session = idle.popLast() {
                if await session.reset() { return session }
                await session.connection.close()
                open -= 1
            }
            if open < maximum {
                open += 1
                do {
                    return try await SMTPSession.open(settings)
                } catch {
                    open -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    private func release(_ session: SMTPSession, reusable: Bool) async {
        if reusable && !closed {
            idle.append(session)
        } else {
            open -= 1
            await session.connection.close()
        }
        wakeOne()
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// QUITs the idle sessions; later calls fail.
    package func shutdown() async {
        closed = true
        let sessions = idle
        idle = []
        open -= sessions.count
        for session in sessions { await session.quit() }
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}
