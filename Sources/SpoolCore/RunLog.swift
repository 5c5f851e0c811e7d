import Foundation
import Logging

/// A swift-log handler that appends each line to a run's log file (and optionally mirrors it to stderr).
///
/// swift-log ships stream handlers only; a job's log must also survive in its output folder.
public struct RunLogHandler: LogHandler {
    final class Sink: @unchecked Sendable {
        let lock = NSLock()
        let handle: FileHandle?
        let mirror: Bool
        init(url: URL?, mirror: Bool) {
            if let url {
                // Appended to: a resumed run's log continues its first run's.
                if !FileManager.default.fileExists(atPath: url.path) {
                    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                }
                handle = try? FileHandle(forWritingTo: url)
                _ = try? handle?.seekToEnd()
            } else {
                handle = nil
            }
            self.mirror = mirror
        }
        func write(_ line: String) {
            lock.lock()
            defer { lock.unlock() }
            let data = Data((line + "\n").utf8)
            handle?.write(data)
            if mirror { FileHandle.standardError.write(data) }
        }
    }

    let label: String
    let sink: Sink
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// A logger writing to `file` (nil: none) and, when `mirrorToStderr`, to standard error.
    public static func logger(label: String, file: URL?, mirrorToStderr: Bool) -> Logger {
        let sink = Sink(url: file, mirror: mirrorToStderr)
        return Logger(label: label) { label in RunLogHandler(label: label, sink: sink) }
    }

    public func log(event: LogEvent) {
        let level = event.level, message = event.message, explicit = event.metadata
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current,
                                                formatOptions: [.withInternetDateTime])
        var all = metadata
        if let explicit { all.merge(explicit) { $1 } }
        let meta = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        sink.write("\(stamp) \(level)\(meta) \(message)")
    }
}
