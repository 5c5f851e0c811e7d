import Foundation
import Logging

/// The daemon's log: `spool/spool.log` and standard error, through swift-log.
public struct DaemonLog: LogHandler {
    final class Sink: @unchecked Sendable {
        let lock = NSLock()
        let handle: FileHandle?
        init(url: URL) {
            if !FileManager.default.fileExists(atPath: url.path) {
                FileManager.default.createFile(atPath: url.path, contents: nil)
            }
            handle = try? FileHandle(forWritingTo: url)
            _ = try? handle?.seekToEnd()
        }
        func write(_ line: String) {
            lock.lock()
            defer { lock.unlock() }
            let data = Data((line + "\n").utf8)
            handle?.write(data)
            FileHandle.standardError.write(data)
        }
    }

    let sink: Sink
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public static func logger(layout: SpoolLayout) -> Logger {
        let sink = Sink(url: layout.daemonLog)
        return Logger(label: "spool.daemon") { _ in DaemonLog(sink: sink) }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        sink.write("\(stamp) \(level) \(message)")
    }
}
