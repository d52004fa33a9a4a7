import Dispatch
import Foundation
import SwitchboardCore

/// On SIGINT, SIGTERM or SIGHUP, removes the partial files of transfers still being written, then dies of the
/// same signal (so the shell sees the usual status, 130 for Ctrl-C). SIGKILL cannot be caught: the partial files
/// it leaves are swept when a store next opens.
enum SignalCleanup {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func install() {
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                PartialFiles.removeAll()
                signal(number, SIG_DFL)
                kill(getpid(), number)
                // Should the signal stay blocked in every thread, end the process all the same.
                usleep(1_000_000)
                _exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }
}
