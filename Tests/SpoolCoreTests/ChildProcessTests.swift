import Foundation
import Testing
@testable import SpoolCore

/// The one way Spool runs a command to completion: both pipes at once, and a time limit.
@Suite struct ChildProcessTests {
    static let shell = URL(fileURLWithPath: "/bin/sh")

    @Test func aChildFillingStandardErrorDoesNotDeadlock() throws {
        // 1 MiB on standard error before anything on standard output: far more than a pipe's 64 KiB buffer.
        let output = try ChildProcess.run(Self.shell, ["-c", "head -c 1048576 /dev/zero >&2; echo done"], timeout: 60)
        #expect(output.succeeded)
        #expect(output.stderr.count == 1_048_576)
        #expect(output.stdoutText == "done\n")
    }

    @Test func aChildPastItsLimitIsKilled() throws {
        let output = try ChildProcess.run(Self.shell, ["-c", "sleep 30"], timeout: 0.5)
        #expect(output.timedOut)
        #expect(!output.succeeded)
        #expect(output.endDescription.contains("time limit"))
    }

    @Test func statusAndSignalsAreReported() throws {
        let failed = try ChildProcess.run(Self.shell, ["-c", "echo why >&2; exit 3"])
        #expect(failed.status == 3 && !failed.signalled && failed.lastErrorLine == "why")
        let killed = try ChildProcess.run(Self.shell, ["-c", "kill -9 $$"])
        #expect(killed.signalled && killed.status == 9)
        #expect(throws: ChildProcess.LaunchError.self) { try ChildProcess.run(URL(fileURLWithPath: "/no/such/tool"), []) }
    }
}
