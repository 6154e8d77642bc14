import Foundation
import GridCore
import Ledger

/// How much of its capacity a producer delivers at a moment.
///
/// - Solar: a clear-sky bell, sin(π (h − 6) / 12.5) between 06:00 and 18:30 local time, times a
///   clearness index drawn per metering interval from a beta distribution (mean 0.49, s.d. 0.2,
///   fitted by the method of moments). Over a day that averages 0.32 × 0.49 ≈ 16 % — inside the
///   15–17.5 % capacity factor of DEDE and the Global Solar Atlas.
/// - Wind: a Weibull wind speed (shape 2, scale 7 m/s) per interval through a standard power
///   curve: nothing below 3 m/s, cubic to rated at 12 m/s, rated to cut-out at 25 m/s.
/// - Hydro: run-of-river, 50 % ± 10 % per interval.
public enum GenerationModel {
    static let solarClearness = BetaShape(mean: 0.49, standardDeviation: 0.2)!

    /// Clear-sky solar availability at local `hour`.
    static func solarBell(hour: Double) -> Double {
        guard hour > 6, hour < 18.5 else { return 0 }
        return sin(Double.pi * (hour - 6) / 12.5)
    }

    /// Turbine output as a share of rated power at wind `speed` (m/s).
    static func windPower(speed: Double) -> Double {
        switch speed {
        case ..<3, 25...: 0
        case 12...: 1
        default: (pow(speed, 3) - 27) / (pow(12, 3) - 27)
        }
    }

    /// The random factor of one metering interval: clearness, wind speed or flow.
    static func drawCondition(_ source: EnergySource, _ stream: RandomStream) -> Double {
        switch source {
        case .solar: stream.beta(a: solarClearness.a, b: solarClearness.b)
        case .wind: stream.weibull(scale: 7, shape: 2)
        case .hydro: min(1, max(0, stream.gaussian(mean: 0.5, sigma: 0.1)))
        case .conventional: 1
        }
    }

    /// Availability (share of capacity) at `hour` under `condition`.
    static func availability(_ source: EnergySource, hour: Double, condition: Double) -> Double {
        switch source {
        case .solar: solarBell(hour: hour) * condition
        case .wind: windPower(speed: condition)
        case .hydro, .conventional: condition
        }
    }

    /// Expected availability at `hour`: what conventional dispatch schedules around.
    public static func forecast(_ source: EnergySource, hour: Double) -> Double {
        switch source {
        case .solar: solarBell(hour: hour) * 0.49
        case .wind: 0.28
        case .hydro, .conventional: 0.5
        }
    }
}
