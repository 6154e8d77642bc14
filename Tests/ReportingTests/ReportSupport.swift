import Foundation
import Reporting
import Simulation

/// The path of `Scenarios/<name>` in this repository (the file need not exist: an inline
/// scenario read as if it were there resolves its grid data).
func scenarioPath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scenarios/\(name)").path
}

/// The report of `result`, with fixed harness figures in place of the wall clock's.
func makeReport(_ result: RunResult, swarm: [(name: String, value: String)] = [], bucketSeconds: Double? = nil) -> Report {
    let harness = HarnessFigures(events: result.events, wallSeconds: 1, simulatedSeconds: result.endTime.seconds,
                                 peakRssBytes: 0, signatureChecksComputed: 0, signatureCacheHits: 0)
    return Report(result: result, harness: harness, swarm: swarm, bucketSeconds: bucketSeconds)
}
