import Foundation
import Testing
@testable import SpoolStore

/// A real `kill -9`: the `sqlite3` shell plays a daemon that commits, claims, starts a transaction and dies.
@Suite("After a writer is killed")
struct JobStoreCrashTests {
    static let sqlite3 = "/usr/bin/sqlite3"

    @Test("readers see every commit and nothing of the killed transaction; the next daemon rescues the claim",
          .enabled(if: FileManager.default.isExecutableFile(atPath: sqlite3)))
    func killedWriter() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let daemon = try spool.store(clock)
        let first = try daemon.add(newJob("first"))
        try daemon.add(newJob("second"))
        try daemon.close()

        let ready = spool.root.appendingPathComponent("ready").path
        let script = """
            PRAGMA busy_timeout = 5000;
            PRAGMA wal_autocheckpoint = 0;
            UPDATE jobs SET state = 'RUNNING', lease_owner = 'daemon-old', lease_expires_at = '2026-11-29 10:00:00.000',
                started_at = '2026-11-29 09:00:00.000', attempts = attempts + 1
            WHERE id = (SELECT id FROM jobs WHERE state = 'PENDING' ORDER BY priority DESC, created_at, id LIMIT 1);
            BEGIN IMMEDIATE;
            DELETE FROM jobs WHERE state = 'PENDING';
            .shell touch \(ready)

            """
        // The shell reads the script from a pipe left open: after it, it waits for more input, holding its
        // transaction open, until it is killed.
        let input = Pipe()
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: Self.sqlite3)
        shell.arguments = [spool.databasePath]
        shell.standardInput = input
        shell.standardOutput = FileHandle.nullDevice
        try shell.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        defer { if shell.isRunning { kill(shell.processIdentifier, SIGKILL) } }
        // Waiting on another process is the one wait a crash test needs.
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: ready) && Date() < deadline {
            usleep(10_000)
        }
        #expect(FileManager.default.fileExists(atPath: ready))

        // The reader works while the writer holds its transaction open...
        let reader = try JobStore.openForReading(path: spool.databasePath)
        #expect(try reader.counts()[.running] == 1)
        #expect(try reader.counts()[.pending] == 1)

        // ...and after it is killed mid-transaction.
        kill(shell.processIdentifier, SIGKILL)
        shell.waitUntilExit()
        #expect(shell.terminationReason == .uncaughtSignal)
        let afterCrash = try JobStore.openForReading(path: spool.databasePath)
        #expect(try afterCrash.counts()[.running] == 1)
        #expect(try afterCrash.counts()[.pending] == 1)  // the DELETE never committed
        #expect(try reader.counts()[.pending] == 1)

        // The next daemon writes at once (no lock is left behind) and takes the orphan back.
        let next = try spool.store(clock)
        let rescued = try next.rescueOrphans(owner: "daemon-new")
        #expect(rescued.map(\.id) == [first.id])
        #expect(rescued.first?.reason == "requeued after the daemon stopped; its trials resume where they stopped (interruption 1, not counted as an attempt)")
        #expect(try afterCrash.counts()[.pending] == 2)
    }
}
