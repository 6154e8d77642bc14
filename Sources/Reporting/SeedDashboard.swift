import Foundation

/// One of the seed's headline figures beside this run's, named by the report metric it is
/// compared to.
public struct SeedComparison: Codable, Sendable {
    /// What the seed shows, where (e.g. "TPS, monitoring panel").
    public var figure: String
    /// The seed's figure as it is written there.
    public var seed: String
    public var seedValue: Double
    /// This run's figure in the same unit.
    public var measured: Double
    public var unit: String
    /// The report field compared, and how (e.g. scaled to a day).
    public var comparedTo: String

    /// This run's figure to at least the seed figure's precision and, unless it is whole, three
    /// significant digits, so the two read alike: 50.02 Hz beside the seed's "50.02 Hz" (not
    /// 50), 8.33 ms beside "45 ms", 12 validators; whole numbers grouped by thousands.
    public var measuredText: String {
        guard measured.isFinite else { return "n/a" }
        let number = seed.prefix { $0.isNumber || $0 == "," || $0 == "." }
        let seedDecimals = number.split(separator: ".", maxSplits: 1).dropFirst().first?.count ?? 0
        let magnitude = abs(measured)
        let whole = measured == measured.rounded()
        let significant = whole || magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3
        let decimals = max(seedDecimals, significant)
        return decimals == 0 ? CapacityCheck.grouped(Int(measured.rounded())) : String(format: "%.\(decimals)f", measured)
    }
}

/// The seed's dashboard (`../shared/seeds/`: monitoring panel, performance dashboard, network
/// health, daily trading volume) against a run.
enum SeedDashboard {
    /// The rows for `report`; daily volumes are scaled to 24 hours when the run is shorter.
    static func rows(_ report: Report) -> [SeedComparison] {
        let simulated = max(report.manifest.simulatedSeconds, 1e-9)
        let perDay = 86_400 / simulated
        let dayNote = abs(perDay - 1) < 1e-6 ? "" : String(format: ", scaled to 24 h from %.4g h simulated", simulated / 3600)
        let shards = report.shards.count
        func row(_ figure: String, _ seed: String, _ seedValue: Double, _ measured: Double, _ unit: String,
                 _ comparedTo: String) -> SeedComparison {
            SeedComparison(figure: figure, seed: seed, seedValue: seedValue, measured: measured, unit: unit,
                           comparedTo: comparedTo)
        }
        return [
            row("TPS (monitoring panel)", "1,250", 1_250, report.throughput.tps, "tx/s", "throughput.tps"),
            row("TPS target (monitoring panel)", "1,000", 1_000, report.throughput.tps, "tx/s", "throughput.tps"),
            row("TPS (performance dashboard)", "8,500", 8_500, report.throughput.tps, "tx/s", "throughput.tps"),
            row("TPS after scaling to 3 shards", "2,850", 2_850, report.throughput.tps, "tx/s",
                "throughput.tps with \(shards) shard\(shards == 1 ? "" : "s")"),
            row("latency (monitoring panel, target < 50 ms)", "45 ms", 45, report.latency.admission.p50Ms, "ms",
                "latency.admission.p50_ms (the seed does not say which latency; only admission can be that short with 9.8 s blocks)"),
            row("average latency (performance dashboard)", "35 ms", 35, report.latency.admission.meanMs, "ms",
                "latency.admission.mean_ms"),
            row("block time (network health)", "9.8 s", 9.8, report.consensus.blockTimeMsMean / 1000, "s",
                "consensus.block_time_ms_mean"),
            row("active validators (network health)", "47/50", 47, Double(report.consensus.activeValidators),
                "validators", "consensus.active_validators of \(report.consensus.validators)"),
            row("daily traded energy", "245,678 kWh", 245_678, Double(report.market.energyWh) / 1000 * perDay, "kWh",
                "market.energy_wh" + dayNote),
            row("daily traded value", "876,543 tokens", 876_543, Double(report.market.valueMicro) / 1e6 * perDay,
                "tokens", "market.value_micro" + dayNote),
            row("average price", "3.57 tokens/kWh", 3.57, Double(report.market.averagePriceMicroPerKwh) / 1e6,
                "tokens/kWh", "market.average_price_micro_per_kwh"),
            row("renewable share", "34.5 %", 34.5, Double(report.market.renewableShareBp) / 100, "%",
                "market.renewable_share_bp"),
            row("carbon saved per day", "12.3 t", 12.3, report.grid.carbonSavedKg / 1000 * perDay, "t",
                "grid.carbon_saved_kg" + dayNote),
            row("carbon intensity", "425 gCO2/kWh", 425, report.grid.carbonIntensityGPerKwh, "g/kWh",
                "grid.carbon_intensity_g_per_kwh"),
            row("grid stability", "99.8 %", 99.8, Double(report.grid.stabilityBp) / 100, "%", "grid.stability_bp"),
            row("grid frequency", "50.02 Hz", 50.02, report.grid.frequencyMaxHz, "Hz",
                "grid.frequency_max_hz (the seed shows one reading)"),
        ]
    }
}
