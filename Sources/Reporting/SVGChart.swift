import Foundation

/// One named line or bar series of a chart.
public struct ChartSeries: Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]

    public init(name: String, points: [(x: Double, y: Double)]) {
        self.name = name
        self.points = points
    }
}

/// Inline SVG charts for the HTML report: axes with ticks, one polyline per series or one bar per
/// category, a legend. Every chart carries `data-points` (how many values it plots) so a test or
/// a reader's script can check that no chart is empty.
enum SVGChart {
    static let width = 720.0
    static let height = 260.0
    static let margin = (left: 64.0, right: 16.0, top: 16.0, bottom: 40.0)
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]

    /// A line chart of `series` over a shared x axis, the y axis from zero unless `zeroBased` is
    /// false. O(points).
    static func line(id: String, series: [ChartSeries], xLabel: String, yLabel: String,
                     logX: Bool = false, zeroBased: Bool = true) -> String {
        let all = series.flatMap(\.points)
        let count = all.count
        guard count > 0 else { return empty(id: id) }
        let xs = all.map { logX ? log10(max($0.x, 1e-9)) : $0.x }
        let xRange = Axis.range(logX || !zeroBased ? xs.min()! : min(0, xs.min()!), xs.max()!)
        let lowest = all.map(\.y).min()!
        let yRange = Axis.range(zeroBased ? min(0, lowest) : lowest, all.map(\.y).max()!)
        var body = frame(xRange: xRange, yRange: yRange, xLabel: xLabel, yLabel: yLabel, logX: logX)
        for (index, one) in series.enumerated() where !one.points.isEmpty {
            let path = one.points.map { point -> String in
                let x = logX ? log10(max(point.x, 1e-9)) : point.x
                return "\(format(plotX(x, xRange))),\(format(plotY(point.y, yRange)))"
            }.joined(separator: " ")
            body += "<polyline fill=\"none\" stroke=\"\(palette[index % palette.count])\" stroke-width=\"1.5\" points=\"\(path)\"/>"
        }
        body += legend(series.map(\.name))
        return wrap(id: id, points: count, body: body)
    }

    /// A bar chart: one group per category, one bar per series in each group. O(bars).
    static func bars(id: String, categories: [String], series: [ChartSeries], yLabel: String) -> String {
        let values = series.flatMap { $0.points.map(\.y) }
        guard !values.isEmpty, !categories.isEmpty else { return empty(id: id) }
        let yRange = Axis.range(0, values.max()!)
        var body = frame(xRange: nil, yRange: yRange, xLabel: "", yLabel: yLabel, logX: false)
        let plotWidth = width - margin.left - margin.right
        let groupWidth = plotWidth / Double(categories.count)
        let barWidth = groupWidth * 0.8 / Double(max(1, series.count))
        for (categoryIndex, category) in categories.enumerated() {
            let groupX = margin.left + groupWidth * Double(categoryIndex) + groupWidth * 0.1
            for (seriesIndex, one) in series.enumerated() where categoryIndex < one.points.count {
                let value = one.points[categoryIndex].y
                let top = plotY(value, yRange)
                let x = groupX + barWidth * Double(seriesIndex)
                body += "<rect x=\"\(format(x))\" y=\"\(format(top))\" width=\"\(format(barWidth))\" height=\"\(format(plotY(yRange.lower, yRange) - top))\" fill=\"\(palette[seriesIndex % palette.count])\"><title>\(escape(one.name)) \(escape(category)): \(format(value))</title></rect>"
            }
            body += "<text x=\"\(format(groupX + groupWidth * 0.4))\" y=\"\(format(height - margin.bottom + 16))\" text-anchor=\"middle\">\(escape(category))</text>"
        }
        if series.count > 1 { body += legend(series.map(\.name)) }
        return wrap(id: id, points: values.count, body: body)
    }

    private static func empty(id: String) -> String {
        "<svg class=\"chart\" id=\"\(id)\" data-points=\"0\" viewBox=\"0 0 \(Int(width)) 60\" xmlns=\"http://www.w3.org/2000/svg\"><text x=\"\(Int(width / 2))\" y=\"34\" text-anchor=\"middle\">no data in this run</text></svg>"
    }

    private static func wrap(id: String, points: Int, body: String) -> String {
        "<svg class=\"chart\" id=\"\(id)\" data-points=\"\(points)\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\(body)</svg>"
    }

    private static func frame(xRange: Axis?, yRange: Axis?, xLabel: String, yLabel: String, logX: Bool) -> String {
        let bottom = height - margin.bottom
        var svg = "<line class=\"axis\" x1=\"\(margin.left)\" y1=\"\(bottom)\" x2=\"\(width - margin.right)\" y2=\"\(bottom)\"/>"
        if let yRange {
            svg += "<line class=\"axis\" x1=\"\(margin.left)\" y1=\"\(margin.top)\" x2=\"\(margin.left)\" y2=\"\(bottom)\"/>"
            for tick in yRange.ticks {
                let y = plotY(tick, yRange)
                svg += "<line class=\"grid\" x1=\"\(margin.left)\" x2=\"\(width - margin.right)\" y1=\"\(format(y))\" y2=\"\(format(y))\"/>"
                svg += "<text x=\"\(margin.left - 6)\" y=\"\(format(y + 4))\" text-anchor=\"end\">\(yRange.label(tick))</text>"
            }
            svg += "<text x=\"14\" y=\"\(format((margin.top + bottom) / 2))\" transform=\"rotate(-90 14 \(format((margin.top + bottom) / 2)))\" text-anchor=\"middle\">\(escape(yLabel))</text>"
        }
        if let xRange {
            for tick in xRange.ticks {
                let x = plotX(tick, xRange)
                svg += "<text x=\"\(format(x))\" y=\"\(format(bottom + 16))\" text-anchor=\"middle\">\(logX ? Axis.powerOfTenLabel(tick) : xRange.label(tick))</text>"
            }
        }
        svg += "<text x=\"\(format((margin.left + width - margin.right) / 2))\" y=\"\(format(height - 6))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        return svg
    }

    private static func legend(_ names: [String]) -> String {
        var svg = ""
        for (index, name) in names.enumerated() {
            let x = margin.left + 12 + Double(index) * 110
            svg += "<rect x=\"\(format(x))\" y=\"\(margin.top)\" width=\"10\" height=\"10\" fill=\"\(palette[index % palette.count])\"/>"
            svg += "<text x=\"\(format(x + 14))\" y=\"\(margin.top + 9)\">\(escape(name))</text>"
        }
        return svg
    }

    private static func plotX(_ x: Double, _ range: Axis) -> Double {
        margin.left + (x - range.lower) / (range.upper - range.lower) * (width - margin.left - margin.right)
    }

    private static func plotY(_ y: Double, _ range: Axis) -> Double {
        height - margin.bottom - (y - range.lower) / (range.upper - range.lower) * (height - margin.top - margin.bottom)
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// A numeric axis: a range widened to round tick steps (1, 2 or 5 × 10ⁿ).
struct Axis {
    var lower: Double
    var upper: Double
    var step: Double

    static func range(_ low: Double, _ high: Double) -> Axis {
        let span = high > low ? high - low : max(abs(high), 1)
        let raw = span / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let lower = floor(low / step) * step
        var upper = ceil(high / step) * step
        if upper <= lower { upper = lower + step }
        return Axis(lower: lower, upper: upper, step: step)
    }

    var ticks: [Double] {
        stride(from: lower, through: upper + step / 2, by: step).map { $0 }
    }

    /// The label of `value`, a tick of this axis, in the axis's unit (k for thousands, M for
    /// millions, by its larger end) with as many decimals as the step needs, so neighbouring
    /// ticks never read the same: 49.990, 49.995, 50.000 on a frequency axis, not 50 three times.
    func label(_ value: Double) -> String {
        guard value != 0 else { return "0" }
        let largest = max(abs(lower), abs(upper))
        let (scale, suffix) = largest >= 1e6 ? (1e6, "M") : largest >= 1e3 ? (1e3, "k") : (1.0, "")
        let decimals = max(0, Int(ceil(-log10(step / scale) - 1e-9)))
        return String(format: "%.\(decimals)f", value / scale) + suffix
    }

    /// The label of the tick at `exponent` on a log axis: 10 to the power, as 10, 100, 1k, 10k.
    static func powerOfTenLabel(_ exponent: Double) -> String {
        let value = pow(10, exponent)
        if value >= 1e6 { return String(format: "%.3gM", value / 1e6) }
        if value >= 1e3 { return String(format: "%.3gk", value / 1e3) }
        return String(format: "%.4g", value)
    }
}
