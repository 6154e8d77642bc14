import Foundation
import GridCore
import Scenario

/// Daily activity curves of the consumer classes: relative order rate by local hour, each
/// normalised to a weekday mean of 1. Estimates shaped after the Thai load pattern (the national
/// peak moved to ~21:00 in 2022–24): households peak in the evening, offices in working hours,
/// industry on weekday daytime; commercial and industrial activity halves at weekends.
enum DailyProfile {
    static let residential = normalised([0.5, 0.4, 0.35, 0.35, 0.35, 0.45, 0.8, 1.1, 0.9, 0.7, 0.7, 0.8,
                                         0.9, 0.8, 0.75, 0.8, 0.9, 1.2, 1.6, 1.9, 2.1, 2.2, 1.7, 1.0])
    static let commercial = normalised([0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 1.0, 1.8, 2.1, 2.2, 2.1,
                                        1.9, 2.1, 2.2, 2.0, 1.8, 1.4, 0.9, 0.6, 0.4, 0.3, 0.25, 0.2])
    static let industrial = normalised([0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.9, 1.4, 1.6, 1.6, 1.6, 1.5,
                                        1.4, 1.6, 1.6, 1.6, 1.5, 1.2, 0.8, 0.7, 0.7, 0.6, 0.6, 0.6])

    private static func normalised(_ values: [Double]) -> [Double] {
        let mean = values.reduce(0, +) / Double(values.count)
        return values.map { $0 / mean }
    }

    /// The factor for `kind` at `time`; 1 for producers and operators.
    static func factor(_ kind: String, at time: SimTime, calendar: SimCalendar) -> Double {
        let hour = min(23, Int(calendar.hourOfDay(at: time)))
        let weekend = !calendar.isWeekday(at: time)
        switch kind {
        case "residential": return residential[hour]
        case "commercial": return commercial[hour] * (weekend ? 0.5 : 1)
        case "industrial": return industrial[hour] * (weekend ? 0.5 : 1)
        default: return 1
        }
    }

    /// The largest factor `kind` ever has.
    static func maximum(_ kind: String) -> Double {
        switch kind {
        case "residential": residential.max()!
        case "commercial": commercial.max()!
        case "industrial": industrial.max()!
        default: 1
        }
    }
}

/// One class's arrivals of one kind (orders or transfers) under the scenario's controller.
///
/// - Poisson (open loop): a non-homogeneous Poisson process with rate
///   count × per-participant rate × daily profile(t) × schedule factor(t), drawn by thinning
///   (Lewis and Shedler): candidate gaps at the peak rate, each kept with probability
///   rate(t) ÷ peak rate.
/// - Fixed: evenly spaced at the current rate.
/// Closed-loop and trace arrivals are driven by the simulator (completions, the trace file).
struct ArrivalProcess {
    let kind: String
    let region: Region
    let baseRate: Double
    let load: LoadSettings
    let calendar: SimCalendar
    let end: SimTime
    private let stream: RandomStream

    init(participants: ParticipantClass, perParticipantRate: Double, load: LoadSettings, calendar: SimCalendar,
         end: SimTime, stream: RandomStream) {
        kind = participants.kind
        region = participants.region
        baseRate = Double(participants.count) * perParticipantRate
        self.load = load
        self.calendar = calendar
        self.end = end
        self.stream = stream
    }

    private func rate(at time: SimTime) -> Double {
        let profile = load.dailyProfiles ? DailyProfile.factor(kind, at: time, calendar: calendar) : 1
        return baseRate * profile * load.factor(at: time, in: region)
    }

    /// The next arrival after `now`, or `nil` when there is none before the run ends.
    func next(after now: SimTime) -> SimTime? {
        guard baseRate > 0 else { return nil }
        switch load.controller {
        case .poisson:
            let peak = baseRate * (load.dailyProfiles ? DailyProfile.maximum(kind) : 1) * load.maximumFactor(in: region)
            guard peak > 0 else { return nil }
            var time = now
            while time <= end {
                // A gap past the end is no arrival; a tiny rate's gap can be past any time the
                // simulation holds.
                let gapSeconds = stream.exponential(mean: 1 / peak)
                guard gapSeconds <= (end - time).seconds else { return nil }
                time += SimDuration(seconds: gapSeconds)
                if stream.uniform() * peak < rate(at: time) { return time }
            }
            return nil
        case .fixed:
            var time = now
            while time <= end {
                let current = rate(at: time)
                if current > 0 { return 1 / current <= (end - time).seconds ? time + SimDuration(seconds: 1 / current) : nil }
                time += .seconds(60)
            }
            return nil
        case .closedLoop, .trace:
            return nil
        }
    }
}
