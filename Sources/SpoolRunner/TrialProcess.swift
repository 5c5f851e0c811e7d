import Foundation
import SpoolCore

/// One trial in a child process (`spool-trainer train ... --progress-json`), supervised.
///
/// A crash, an abort inside libtorch or an out-of-memory kill ends the child, never the daemon. Progress
/// arrives as JSON lines on the child's standard output; its standard error goes to the trial's log. The
/// supervisor stops the child at the deadline or on cancellation: SIGTERM, then SIGKILL after a grace period.
// @unchecked: it owns a Foundation `Process` and a `DispatchSourceTimer` (neither Sendable); its own state is behind `lock`.
public final class TrialProcess: @unchecked Sendable {
    public struct Launch: Sendable {
        public var executable: URL
        public var arguments: [String]
        public var environment: [String: String]
        public var logFile: URL
        public init(executable: URL, arguments: [String], environment: [String: String], logFile: URL) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.logFile = logFile
        }
    }

    /// How a trial ended.
    public enum Outcome: Sendable, Equatable {
        case completed
        /// Exited non-zero or died of a signal; the text says which and why.
        case failed(String)
        case outOfMemory(String)
        /// The job's budget ran out.
        case timedOut
        /// The trial's own budget (`trial_timeout_minutes`) ran out.
        case trialTimedOut
        case cancelled
        /// Stopped by the sweep's early-termination policy.
        case earlyTerminated
        case interrupted  // the daemon is shutting down
    }

    /// Why the supervisor asks a trial to stop.
    public enum StopReason: Sendable {
        case timeout, trialTimeout, cancel, shutdown, policy

        /// How a trial stopped for this reason ended, whatever its exit status.
        public var outcome: Outcome {
            switch self {
            case .timeout: .timedOut
            case .trialTimeout: .trialTimedOut
            case .cancel: .cancelled
            case .shutdown: .interrupted
            case .policy: .earlyTerminated
            }
        }
    }

    let launch: Launch
    let process = Process()
    private let lock = NSLock()
    private var stopReason: StopReason?
    private var killTimer: DispatchSourceTimer?
    /// Signalled when the child's standard output reaches its end: every progress line has been handled.
    private let outputDone = DispatchSemaphore(value: 0)

    public init(_ launch: Launch) {
        self.launch = launch
    }

    public var pid: Int32 { process.processIdentifier }

    /// Starts the child; `onEvent` receives each progress event it prints (on a background thread).
    public func start(onEvent: @escaping @Sendable (ProgressEvent) -> Void) throws {
        process.executableURL = launch.executable
        process.arguments = launch.arguments
        process.environment = launch.environment
        _ = FileManager.default.createFile(atPath: launch.logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: launch.logFile)
        try log.seekToEnd()
        process.standardError = log
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let reader = pipe.fileHandleForReading
        let done = outputDone
        Thread.detachNewThread {
            defer { done.signal() }
            var buffer = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer[buffer.startIndex..<newline]
                    buffer.removeSubrange(buffer.startIndex...newline)
                    if let event = ProgressEvent.parse(Data(line)) {
                        onEvent(event)
                    } else if !line.isEmpty {
                        log.write(Data(line) + Data("\n".utf8))  // stray output goes to the log, not lost
                    }
                }
            }
        }
    }

    /// Asks the child to stop: SIGTERM now, SIGKILL after `grace` seconds if it is still running.
    public func stop(_ reason: StopReason, grace: Double) {
        lock.lock()
        defer { lock.unlock() }
        guard stopReason == nil, process.isRunning else { return }
        stopReason = reason
        kill(process.processIdentifier, SIGTERM)
        let pid = process.processIdentifier
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + grace)
        timer.setEventHandler { [weak self] in
            if self?.process.isRunning == true { kill(pid, SIGKILL) }
        }
        timer.resume()
        killTimer = timer
    }

    public var isRunning: Bool { process.isRunning }

    /// Waits for the child (blocking), and for its last progress lines to be handled, and classifies how it
    /// ended.
    public func wait() -> Outcome {
        process.waitUntilExit()
        // A grandchild holding the pipe open must not hang the supervisor: wait for the output a while only.
        _ = outputDone.wait(timeout: .now() + 10)
        lock.lock()
        let reason = stopReason
        killTimer?.cancel()
        lock.unlock()
        let status = process.terminationStatus
        let signalled = process.terminationReason == .uncaughtSignal
        // A trainer exits 0 only once its run is done: it finished before the stop reached it.
        if !signalled && status == 0 { return .completed }
        if let reason { return reason.outcome }
        let tail = Self.tail(of: launch.logFile)
        if signalled && status == SIGKILL {
            // Nobody here sent SIGKILL: the kernel's out-of-memory killer is the usual sender.
            return .outOfMemory("the trial was killed (SIGKILL), most likely by the out-of-memory killer; lower training_batch_size")
        }
        if !signalled && status == TrialExitCode.stopped {
            return .cancelled  // a SIGTERM from outside Spool: it saved a checkpoint and stopped
        }
        if !signalled && status == TrialExitCode.outOfMemory {
            return .outOfMemory("out of memory: \(tail); lower training_batch_size")
        }
        if signalled {
            return .failed("the trial crashed (signal \(status), \(Self.signalName(status))) while the daemon ran: \(tail)")
        }
        return .failed("the trial exited with status \(status): \(tail)")
    }

    /// "SIGSEGV, a segmentation fault": the signal's name and what it usually means.
    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: "SIGSEGV, a segmentation fault"
        case SIGABRT: "SIGABRT, an abort"
        case SIGBUS: "SIGBUS, a bus error"
        case SIGFPE: "SIGFPE, an arithmetic error"
        case SIGILL: "SIGILL, an illegal instruction (a library built for another CPU?)"
        case SIGKILL: "SIGKILL"
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }

    /// The last lines of a log worth reading (up to three, errors first), for a reason a person can act on.
    static func tail(of url: URL) -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else { return "no log" }
        let lines = String(decoding: data.suffix(8192), as: UTF8.self).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let meaningful = lines.filter { line in
            line.contains("Error") || line.contains("error") || line.contains(": ") && !line.contains(" info ")
        }
        let chosen = (meaningful.isEmpty ? lines : meaningful).suffix(3).map { String($0.prefix(300)) }
        return chosen.isEmpty ? "no output" : "its log ends: " + chosen.joined(separator: " | ")
    }
}
