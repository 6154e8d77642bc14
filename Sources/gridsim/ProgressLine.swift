import Foundation
import GridCore

/// A one-line progress display on a terminal: simulated time, events per second, and the
/// estimated wall time left. Redrawn at most four times a second; never used when standard error
/// is not a terminal.
final class ProgressLine {
    private let total: SimDuration
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private var lastDrawn: ContinuousClock.Instant
    private var drawn = false

    init(total: SimDuration) {
        self.total = total
        started = clock.now
        lastDrawn = started
    }

    func update(simulated: SimTime, events: UInt64) {
        let now = clock.now
        guard lastDrawn.duration(to: now) >= .milliseconds(250) else { return }
        lastDrawn = now
        let wall = started.duration(to: now).inSeconds
        let done = max(1e-9, simulated.seconds / max(total.seconds, 1e-9))
        let eta = wall / done - wall
        let line = String(format: "\r%@ / %@ simulated · %.2f M events/s · ETA %@   ",
                          clock(simulated.seconds), clock(total.seconds), Double(events) / max(wall, 1e-9) / 1e6,
                          clock(max(0, eta)))
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func clock(_ seconds: Double) -> String {
        let whole = Int(seconds)
        return String(format: "%d:%02d:%02d", whole / 3_600, whole / 60 % 60, whole % 60)
    }
}

extension Duration {
    /// The duration in seconds, for wall-clock figures.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
