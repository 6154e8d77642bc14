import Foundation
import Grid
import GridCore
import Simulation

/// `timeseries.csv`: one row per grid sample — transactions finalized since the previous row
/// (and the rate), frequency, imbalance, the lowest zone voltage, and every line's loading and
/// congestion level — ready for pandas or a spreadsheet.
public enum TimeSeries {
    public static func csv(_ result: RunResult) -> String {
        let lineNames = result.gridElementNames.prefix(result.gridLineCount)
        var header = ["time_s", "finalized", "tps", "frequency_hz", "imbalance_mw", "voltage_min_pu"]
        for name in lineNames {
            let column = name.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
            header += ["\(column)_loading_pct", "\(column)_congestion"]
        }
        var rows = [header.joined(separator: ",")]
        let finalized = result.transactions.finalizedNanos.filter { $0 >= 0 }.sorted()
        var cursor = 0
        var previous = SimTime.zero
        for sample in result.gridSamples {
            var count = 0
            while cursor < finalized.count, finalized[cursor] <= sample.time.nanoseconds {
                count += 1
                cursor += 1
            }
            let seconds = (sample.time - previous).seconds
            previous = sample.time
            var row = [
                format(sample.time.seconds), String(count), format(seconds > 0 ? Double(count) / seconds : 0),
                String(format: "%.4f", sample.frequencyHz), format(sample.imbalanceMW),
                String(format: "%.4f", sample.voltagePU.min() ?? 1),
            ]
            for line in 0..<result.gridLineCount {
                row += [format(sample.loading[line] * 100), CongestionLevel(loading: sample.loading[line]).rawValue]
            }
            rows.append(row.joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    private static func format(_ value: Double) -> String { String(format: "%.3f", value) }
}
