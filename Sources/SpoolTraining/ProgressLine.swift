import Foundation

/// Progress as one JSON object a line on standard output: how a trial process talks to the spool daemon.
///
/// `{"type": "step"|"evaluation"|"epoch"|"finished"|"result", ...}`; an epoch line carries the epoch record
/// (losses and metrics) so the daemon can store it.
public enum ProgressLine {
    static let lock = NSLock()

    public static func emit(_ progress: TrainingProgress) {
        var object: [String: Any] = [
            "type": progress.kind.rawValue, "epoch": progress.epoch, "epochs": progress.epochs,
            "step": progress.step, "steps": progress.steps, "loss": finite(progress.loss),
            "lr": finite(progress.learningRate), "images_per_second": finite(progress.imagesPerSecond),
            "eta_seconds": finite(progress.etaSeconds),
        ]
        if let name = progress.metricName { object["metric_name"] = name }
        if let value = progress.metricValue { object["metric_value"] = finite(value) }
        if let record = progress.record,
           let data = try? JSONEncoder().encode(record),
           let dict = try? JSONSerialization.jsonObject(with: data) {
            object["record"] = dict
        }
        emit(object)
    }

    public static func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func finite(_ value: Double) -> Any { value.isFinite ? value : NSNull() }
}
