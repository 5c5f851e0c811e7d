import Foundation
import SpoolCore

/// Runs engine commands in `spool-trainer`, the one executable that links libtorch.
///
/// `spoolctl` stays light (no 0.5 s / 180 MB libtorch start-up for `status`, `submit` or `validate`), and a
/// crash or abort inside libtorch ends that process, never the caller.
public enum TrainerProcess {
    /// The trainer beside this executable, or `SPOOL_TRAINER`.
    public static func executableURL() throws -> URL {
        let env = ProcessInfo.processInfo.environment
        if let given = env["SPOOL_TRAINER"], !given.isEmpty { return URL(fileURLWithPath: given) }
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        let beside = URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent("spool-trainer")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        for dir in (env["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("spool-trainer")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw CommandError("cannot find spool-trainer (Spool's engine) beside \(selfPath) or on PATH; install it beside spoolctl, or set SPOOL_TRAINER to its path")
    }

    /// The environment an engine process starts with: OpenBLAS single-threaded (libtorch parallelises
    /// around BLAS calls; nested BLAS threads oversubscribe the cores), and glibc's malloc kept from
    /// unmapping tensor buffers.
    public static func environment(_ base: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        TrainerEnvironment.apply(to: base)
    }

    /// Replaces this process with `spool-trainer ARGUMENTS` (exit status and output pass straight through).
    public static func exec(_ arguments: [String]) throws -> Never {
        let url = try executableURL()
        let argv = ([url.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment().map { strdup("\($0.key)=\($0.value)") } + [nil]
        execve(url.path, argv, envp)
        throw CommandError("cannot start \(url.path): \(String(cString: strerror(errno)))")
    }

    /// Runs `spool-trainer ARGUMENTS` to completion, returning its standard output and exit status.
    public static func run(_ arguments: [String]) throws -> (output: String, status: Int32) {
        let output = try ChildProcess.run(try executableURL(), arguments, environment: environment())
        FileHandle.standardError.write(output.stderr)
        return (output.stdoutText, output.signalled ? 128 + output.status : output.status)
    }
}

/// An error a command prints as is: what went wrong and what to do.
public struct CommandError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
