import Foundation

/// Runs a short-lived child process to completion: both pipes read at once (a child that fills its standard
/// error while the parent reads standard output must not deadlock), with an optional time limit after which
/// the child is killed.
///
/// The one way Spool runs a command and waits for it; long-running trials are supervised by `TrialProcess`.
public enum ChildProcess {
    public struct Output: Sendable {
        public var status: Int32
        /// True when the child died of a signal (`status` is then the signal's number).
        public var signalled: Bool
        public var stdout: Data
        public var stderr: Data
        /// True when the time limit ran out and the child was killed.
        public var timedOut: Bool

        public init(status: Int32, signalled: Bool, stdout: Data, stderr: Data, timedOut: Bool) {
            self.status = status
            self.signalled = signalled
            self.stdout = stdout
            self.stderr = stderr
            self.timedOut = timedOut
        }

        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
        public var succeeded: Bool { !signalled && !timedOut && status == 0 }

        /// "exited 3", "crashed with signal 11", "ran past its 30 s limit".
        public var endDescription: String {
            if timedOut { return "was stopped after running past its time limit" }
            return signalled ? "crashed with signal \(status)" : "exited with status \(status)"
        }

        /// The last non-empty line of standard error, for a message a person can read.
        public var lastErrorLine: String? {
            stderrText.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init)
        }
    }

    /// Starting the child failed (missing or not executable).
    public struct LaunchError: Error, CustomStringConvertible, Sendable {
        public let executable: String
        public let reason: String
        public var description: String { "cannot start \(executable): \(reason)" }
    }

    /// Runs `executable ARGUMENTS` and returns what it printed and how it ended.
    /// - Parameters:
    ///   - environment: the child's whole environment (the parent's when nil).
    ///   - input: written to the child's standard input, which is then closed (no input: /dev/null).
    ///   - timeout: seconds before the child is sent SIGKILL.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                           currentDirectory: URL? = nil, timeout: Double? = nil) throws(LaunchError) -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            let reason = FileManager.default.isExecutableFile(atPath: executable.path)
                ? "the system refused to run it" : "no executable file at that path"
            throw LaunchError(executable: executable.path, reason: reason)
        }
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        for (pipe, isOut) in [(out, true), (err, false)] {
            group.enter()
            Thread.detachNewThread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                if isOut { outData = data } else { errData = data }
                group.leave()
            }
        }
        let killed = ManagedFlag()
        // The time limit is kept by a thread of its own, not a Dispatch timer: Dispatch's worker threads are
        // capped at the core count on Linux, and busy workers (a test run, a training) delay a timer for as long
        // as they are busy.
        let exited = DispatchSemaphore(value: 0)
        if let timeout {
            let pid = process.processIdentifier
            Thread.detachNewThread {
                if exited.wait(timeout: .now() + timeout) == .timedOut {
                    killed.set()
                    kill(pid, SIGKILL)
                }
            }
        }
        process.waitUntilExit()
        exited.signal()
        // A grandchild that inherited the pipes may keep them open: do not wait for it for ever.
        _ = group.wait(timeout: .now() + 5)
        return Output(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                      stdout: outData, stderr: errData, timedOut: killed.isSet)
    }

    /// A flag set from a timer's thread and read once the child has ended.
    final class ManagedFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }
}
