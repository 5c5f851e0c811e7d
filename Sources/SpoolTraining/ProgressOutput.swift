import Foundation
import SpoolCore

/// Writes progress events as JSON lines on standard output (how a trial talks to the daemon), one at a
/// time from any thread.
public enum ProgressOutput {
    static let lock = NSLock()

    public static func emit(_ event: ProgressEvent) {
        var data = event.jsonLine()
        data.append(0x0A)
        lock.withLock { FileHandle.standardOutput.write(data) }
    }
}

func fmt(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
