import Foundation
import Logging
@testable import SpoolIngest
import Testing

/// The drop watcher against real inotify (and, where events must be lost or absent, a scripted source),
/// with a manual clock: settling and periodic rescans happen only when a test advances it, so every drop
/// reported without advancing was certified by an event.
/// Serialized: libinotifytools keeps global state, so a process has one inotify watcher at a time.
@Suite(.serialized)
struct DropWatcherTests {
    // MARK: - Each way of dropping, noticed once

    @Test func fileWrittenInPlaceThenClosed() async throws {
        try await DropHarness.with { h in
            try h.writeInPlace("bundle.tar", bytes: 64 * 1024)
            try await h.expectDrops(["bundle.tar"])
            let drop = try #require(await h.recorder.drops.first)
            #expect(drop.completion == .closedAfterWriting)
            #expect(drop.kind == .file && drop.size == 64 * 1024)
            try await h.expectQuietly(count: 1)
        }
    }

    @Test func fileWrittenInTmpThenRenamedIn() async throws {
        try await DropHarness.with { h in
            try h.writeInTmpAndRename("bundle.zip", bytes: 10_000)
            try await h.expectDrops(["bundle.zip"])
            #expect(await h.recorder.drops.first?.completion == .movedIn)
            try await h.expectQuietly(count: 1)
        }
    }

    @Test func directoryMovedInWhole() async throws {
        try await DropHarness.with { h in
            let staged = h.tmp.appendingPathComponent("bundle")
            try FileManager.default.createDirectory(at: staged.appendingPathComponent("images"),
                                                    withIntermediateDirectories: true)
            try Data("{}\n".utf8).write(to: staged.appendingPathComponent("train.jsonl"))
            try Data(count: 2048).write(to: staged.appendingPathComponent("images/a.png"))
            try FileManager.default.moveItem(at: staged, to: h.incoming.appendingPathComponent("bundle"))
            try await h.expectDrops(["bundle"])
            let drop = try #require(await h.recorder.drops.first)
            #expect(drop.kind == .directory && drop.completion == .movedIn)
            try await h.expectQuietly(count: 1)
        }
    }

    @Test func partFileRenamedToItsFinalName() async throws {
        try await DropHarness.with { h in
            try h.writeInPlace("x.part", bytes: 4096)
            try await h.dropSentinel()  // x.part's events came before the sentinel's: all handled by now
            try FileManager.default.moveItem(at: h.incoming.appendingPathComponent("x.part"),
                                             to: h.incoming.appendingPathComponent("x.tar"))
            try await h.expectDrops(["sentinel.tar", "x.tar"])
            #expect(await h.recorder.drops.last?.completion == .movedIn)
            try await h.expectQuietly(count: 2)
        }
    }

    @Test func dotfilesAndWorkInProgressNamesAreNeverReported() async throws {
        try await DropHarness.with { h in
            for name in [".hidden", "a.part", "b.tmp", "c.partial", "d.crdownload", "E.PART", ".x.tar.XyZ123"] {
                try h.writeInPlace(name, bytes: 100)
            }
            try h.writeInTmpAndRename("f.tmp", bytes: 100)
            try FileManager.default.createDirectory(at: h.incoming.appendingPathComponent(".staging"),
                                                    withIntermediateDirectories: false)
            try await h.dropSentinel()
            // Well past settling and a periodic rescan: found by scans too, and still skipped.
            try await h.advanceAndScan(by: .seconds(120))
            try await h.expectQuietly(count: 1)
            #expect(await h.recorder.names == ["sentinel.tar"])
        }
    }

    // MARK: - Many at once, scans, overflow

    @Test func twoHundredDropsAtOnceAreEachReportedOnce() async throws {
        try await DropHarness.with { h in
            let names = (0..<200).map { String(format: "drop-%03d.tar", $0) }
            for (index, name) in names.enumerated() {
                if index.isMultiple(of: 2) { try h.writeInPlace(name, bytes: 512) }
                else { try h.writeInTmpAndRename(name, bytes: 512) }
            }
            try await h.expectDrops(names)
            try await h.advanceAndScan(by: .seconds(120))
            try await h.expectQuietly(count: 200)
            #expect(await Set(h.recorder.drops.map(\.completion)) == [.closedAfterWriting, .movedIn])
        }
    }

    @Test func filesPresentAtStartAreTakenOnceSettled() async throws {
        try await DropHarness.with(before: { incoming in
            for index in 0..<5 { try Data(count: 100).write(to: incoming.appendingPathComponent("old-\(index).tar")) }
            try FileManager.default.createDirectory(at: incoming.appendingPathComponent("old-dir/images"),
                                                    withIntermediateDirectories: true)
        }) { h in
            // The start scan saw them, but nothing says they are finished: wait for settling.
            await h.watcher.rescanNow()
            try await h.expectQuietly(count: 0)
            h.clock.advance(by: .seconds(2))
            try await h.expectDrops(["old-0.tar", "old-1.tar", "old-2.tar", "old-3.tar", "old-4.tar", "old-dir"])
            #expect(await h.recorder.drops.allSatisfy { $0.completion == .settled })
            try await h.advanceAndScan(by: .seconds(120))
            try await h.expectQuietly(count: 6)
        }
    }

    @Test func anOverflowRescansAndFindsWhatTheLostEventsAnnounced() async throws {
        let source = ScriptedSource()
        try await DropHarness.with(source: source.factory) { h in
            let names = (0..<200).map { String(format: "lost-%03d.tar", $0) }
            for name in names { try h.writeInTmpAndRename(name, bytes: 256) }  // the events are "lost"
            let scans = await h.watcher.scanCount
            source.send(.event(InotifyEvent(kind: .overflow, name: "")))
            #expect(await eventually { await h.watcher.scanCount > scans })
            // Found by the overflow's rescan, but the lost events can no longer vouch for them: they settle.
            try await h.expectQuietly(count: 0)
            h.clock.advance(by: .seconds(2))
            try await h.expectDrops(names)
            try await h.advanceAndScan(by: .seconds(120))
            try await h.expectQuietly(count: 200)
        }
    }

    // MARK: - Files still being written

    @Test func aFileStillBeingWrittenIsNotTakenUntilClosed() async throws {
        try await DropHarness.with { h in
            let url = h.incoming.appendingPathComponent("slow.tar")
            let writer = try openInPlace(url)
            try writer.write(contentsOf: Data(count: 1000))
            try await h.dropSentinel()  // the writes' events were handled before the sentinel's
            // Unchanged for far longer than settling and through a periodic rescan, yet inotify saw writes and
            // no close: still open.
            try await h.advanceAndScan(by: .seconds(120))
            try await h.expectQuietly(count: 1)
            try writer.write(contentsOf: Data(count: 1000))
            try writer.close()
            try await h.expectDrops(["sentinel.tar", "slow.tar"])
            let drop = try #require(await h.recorder.drops.last)
            #expect(drop.completion == .closedAfterWriting && drop.size == 2000)
            try await h.expectQuietly(count: 2)
        }
    }

    @Test func whilePollingAGrowingFileIsTakenOnlyOnceUnchangedForTheSettleTime() async throws {
        try await DropHarness.with(source: unavailableInotify) { h in
            #expect(await h.watcher.mode == .polling(reason: "\(unavailableInotify.error)"))
            let url = h.incoming.appendingPathComponent("growing.tar")
            let writer = try openInPlace(url)
            try writer.write(contentsOf: Data(count: 100))
            await h.watcher.rescanNow()
            for _ in 0..<3 {  // 1.5 s apart each time: never unchanged for 2 s
                h.clock.advance(by: .milliseconds(1500))
                try writer.write(contentsOf: Data(count: 100))
                await h.watcher.rescanNow()
            }
            try await h.expectQuietly(count: 0)
            try writer.close()
            h.clock.advance(by: .seconds(2))
            try await h.expectDrops(["growing.tar"])
            let drop = try #require(await h.recorder.drops.first)
            #expect(drop.completion == .settled && drop.size == 400)
        }
    }

    // MARK: - Claims

    @Test func aClaimedDropIsNotReportedAgainButANewOneWithTheSameNameIs() async throws {
        try await DropHarness.with { h in
            try h.writeInTmpAndRename("x.tar", bytes: 100)
            try await h.expectDrops(["x.tar"])
            try h.claim("x.tar", as: "job-1.tar")
            try await h.advanceAndScan(by: .seconds(120))
            try await h.expectQuietly(count: 1)

            try h.writeInTmpAndRename("x.tar", bytes: 200)
            try await h.expectDrops(["x.tar", "x.tar"])
            let drops = await h.recorder.drops
            #expect(drops[0].inode != drops[1].inode && drops[1].size == 200)
            try h.claim("x.tar", as: "job-2.tar")

            // The same inode put back (a retry) is a new arrival too.
            try FileManager.default.moveItem(at: h.processing.appendingPathComponent("job-2.tar"),
                                             to: h.incoming.appendingPathComponent("x.tar"))
            try await h.expectDrops(["x.tar", "x.tar", "x.tar"])
            #expect(await h.recorder.drops[2].inode == drops[1].inode)
            try await h.expectQuietly(count: 3)
        }
    }

    // MARK: - Failures and fallbacks

    @Test func withoutInotifyTheWatcherPollsAndSaysWhy() async throws {
        let log = LogCapture()
        try await DropHarness.with(source: unavailableInotify, logger: log.logger) { h in
            try h.writeInPlace("a.tar", bytes: 10)
            h.clock.advance(by: .seconds(5))  // the poll finds it...
            #expect(await eventually { await h.watcher.scanCount >= 2 })
            h.clock.advance(by: .seconds(2))  // ...and it settles
            try await h.expectDrops(["a.tar"])
        }
        let warning = try #require(log.messages.first { $0.level == .warning })
        #expect(warning.message.contains("polling"))
        #expect(warning.metadata["reason"]?.contains("inotifytools_watch_file failed") == true)
        #expect(warning.metadata["reason"]?.contains("max_user_watches") == true)
    }

    @Test func aSecondWatcherInTheProcessPollsBecauseLibinotifytoolsIsGlobal() async throws {
        let other = try DropTemporaryFolder()
        let first = try InotifySource(directory: other.url.path) { _ in }
        defer { first.stop() }
        try await DropHarness.with { h in
            guard case let .polling(reason) = await h.watcher.mode else {
                Issue.record("expected polling, got \(await h.watcher.mode)")
                return
            }
            #expect(reason.contains("inotifytools_initialize failed") && reason.contains("errno \(EBUSY)"))
        }
        first.stop()
        await first.waitUntilStopped()
    }

    @Test func losingTheWatchFallsBackToPolling() async throws {
        try await DropHarness.with { h in
            try FileManager.default.removeItem(at: h.incoming)
            #expect(await eventually { await h.watcher.mode != .inotify })
            try FileManager.default.createDirectory(at: h.incoming, withIntermediateDirectories: false)
            try h.writeInTmpAndRename("after.tar", bytes: 10)
            await h.watcher.rescanNow()
            h.clock.advance(by: .seconds(2))
            try await h.expectDrops(["after.tar"])
            #expect(await h.recorder.drops.first?.completion == .settled)
        }
    }

    @Test func aMissingFolderIsAnErrorAtStart() async throws {
        let root = try DropTemporaryFolder()
        let watcher = DropWatcher(directory: root.url.appendingPathComponent("incoming"), clock: ManualClock())
        let error = await #expect(throws: DropWatcherError.self) { try await watcher.run() }
        #expect(error?.code == .unreadableFolder)
        #expect(error?.message.contains("stat failed: No such file or directory (errno \(ENOENT))") == true)
        let file = root.url.appendingPathComponent("plain")
        try Data().write(to: file)
        let notFolder = await #expect(throws: DropWatcherError.self) { try await DropWatcher(directory: file).run() }
        #expect(notFolder?.code == .notAFolder)
    }

    @Test func theRealClockDrivesPolling() async throws {
        let root = try DropTemporaryFolder()
        let incoming = root.url.appendingPathComponent("incoming")
        try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
        let watcher = DropWatcher(
            directory: incoming,
            configuration: .init(settleInterval: .milliseconds(100), pollInterval: .milliseconds(50)),
            clock: DropWatchClock(ContinuousClock()), logger: Logger(label: "test"), source: unavailableInotify.factory)
        let recorder = DropRecorder()
        let reader = Task { for await drop in watcher.drops { await recorder.append(drop) } }
        let runner = Task { try await watcher.run() }
        try Data(count: 10).write(to: incoming.appendingPathComponent("polled.tar"))
        #expect(await eventually { await recorder.names == ["polled.tar"] })
        runner.cancel()
        try await runner.value
        await reader.value
    }

    // MARK: - libinotifytools

    @Test func inotifySourceFailuresNameTheCallAndErrno() async throws {
        let root = try DropTemporaryFolder()
        let missing = #expect(throws: InotifyError.self) {
            try InotifySource(directory: root.url.appendingPathComponent("missing").path) { _ in }
        }
        #expect(missing?.call == "inotifytools_watch_file" && missing?.code == ENOENT)
        #expect(missing?.description.contains("inotifytools_watch_file failed: No such file or directory") == true)
        // The failed start released libinotifytools: the next source opens, and a second one cannot.
        let source = try InotifySource(directory: root.url.path) { _ in }
        let busy = #expect(throws: InotifyError.self) { try InotifySource(directory: root.url.path) { _ in } }
        #expect(busy?.call == "inotifytools_initialize" && busy?.code == EBUSY)
        source.stop()
        await source.waitUntilStopped()
    }

    @Test func inotifySourceStopsPromptlyAndCopiesEvents() async throws {
        let root = try DropTemporaryFolder()
        let events = EventList()
        let source = try InotifySource(directory: root.url.path) { events.append($0) }
        try Data(count: 3).write(to: root.url.appendingPathComponent("a"))
        #expect(await eventually { events.all.contains(.event(InotifyEvent(kind: .closedAfterWriting, name: "a"))) })
        #expect(events.all.contains(.event(InotifyEvent(kind: .created, name: "a"))))
        let start = ContinuousClock.now
        source.stop()
        await source.waitUntilStopped()
        #expect(ContinuousClock.now - start < .milliseconds(500))  // the doorbell, not the 1 s select timeout
    }

    @Test func aSourceStoppedMidBurstLeavesNoStaleEventsForTheNextOne() async throws {
        let busy = try DropTemporaryFolder(), quiet = try DropTemporaryFolder()
        // The first event holds the thread while a burst queues up; the second, read from the burst, stops
        // it with most of the burst still in libinotifytools' buffer.
        let stopper = StopOnSecondEvent()
        let first = try InotifySource(directory: busy.url.path) { _ in stopper.eventArrived() }
        stopper.source = first
        try Data(count: 1).write(to: busy.url.appendingPathComponent("trigger"))
        try await Task.sleep(for: .milliseconds(50))
        for index in 0..<50 { try Data(count: 1).write(to: busy.url.appendingPathComponent("burst-\(index)")) }
        await first.waitUntilStopped()

        let events = EventList()
        let second = try InotifySource(directory: quiet.url.path) { events.append($0) }
        try await Task.sleep(for: .milliseconds(200))
        second.stop()
        await second.waitUntilStopped()
        let stale = events.all
        #expect(stale.count == 0, "stale events from the first source, starting \(stale.prefix(2))")
    }

    // MARK: - The rules, without I/O

    @Test func rulesIgnoreDotfilesAndWorkInProgressSuffixes() {
        let rules = DropRules()
        for name in ["", ".", "..", ".hidden", "a.part", "a.PART", "a.tmp", "a.partial", "a.crdownload"] {
            #expect(rules.ignores(name), "\(name)")
        }
        for name in ["a.tar", "a.zip", "bundle", "a.part.tar", "part", "tmp.tar.gz"] {
            #expect(!rules.ignores(name), "\(name)")
        }
    }

    @Test func ledgerSettlesOnlyUnchangedEntriesAndHonoursWriteHints() {
        var ledger = DropLedger(directory: URL(fileURLWithPath: "/spool/incoming"), settle: .seconds(2),
                                writeHintTimeout: .seconds(60))
        func entry(_ name: String, size: Int64 = 10, inode: UInt64 = 1, changed: Int64 = 0) -> DropScanner.Entry {
            .init(name: name, kind: .file, device: 1, inode: inode, size: size, modified: size, changed: changed)
        }
        #expect(ledger.reconcile([entry("a", inode: 1), entry("b", inode: 2)], at: .seconds(0)).isEmpty)
        ledger.note(InotifyEvent(kind: .modified, name: "b"), at: .seconds(0))
        #expect(ledger.reconcile([entry("a", size: 20, inode: 1), entry("b", inode: 2)], at: .seconds(1)).isEmpty)
        #expect(ledger.nextSettleDeadline() == .seconds(3))
        // a changed at 1 s, so it settles at 3 s; b is held by its write hint until 60 s.
        #expect(ledger.reconcile([entry("a", size: 20, inode: 1), entry("b", inode: 2)], at: .seconds(2.5)).isEmpty)
        #expect(ledger.reconcile([entry("a", size: 20, inode: 1), entry("b", inode: 2)], at: .seconds(3))
            .map(\.name) == ["a"])
        #expect(ledger.nextSettleDeadline() == .seconds(60))
        #expect(ledger.reconcile([entry("a", size: 20, inode: 1), entry("b", inode: 2)], at: .seconds(60))
            .map(\.name) == ["b"])
        #expect(ledger.nextSettleDeadline() == nil)

        // A stale IN_MOVED_TO for what was already reported changes nothing; the same inode renamed back in
        // (so with a newer ctime) is a new arrival.
        ledger.note(InotifyEvent(kind: .movedIn, name: "b"), at: .seconds(61))
        #expect(ledger.reconcile([entry("a", size: 20, inode: 1), entry("b", inode: 2)], at: .seconds(61)).isEmpty)
        ledger.note(InotifyEvent(kind: .movedIn, name: "b"), at: .seconds(62))
        #expect(ledger.reconcile([entry("a", size: 20, inode: 1), entry("b", inode: 2, changed: 5)], at: .seconds(62))
            .map(\.completion) == [.movedIn])
        // Gone from a scan: forgotten, so the same name comes back as a new drop.
        #expect(ledger.reconcile([], at: .seconds(63)).isEmpty && ledger.tracked.isEmpty)
        #expect(ledger.reconcile([entry("a", size: 20, inode: 1)], at: .seconds(64)).isEmpty)
        #expect(ledger.reconcile([entry("a", size: 20, inode: 1)], at: .seconds(66)).map(\.name) == ["a"])
    }

    @Test func ledgerSettlesADirectoryOnlyWhenItsContentsStopChanging() {
        var ledger = DropLedger(directory: URL(fileURLWithPath: "/spool/incoming"), settle: .seconds(2),
                                writeHintTimeout: .seconds(60))
        func folder(files: Int) -> DropScanner.Entry {
            .init(name: "d", kind: .directory, device: 1, inode: 9, size: 4096, modified: 1, changed: 1,
                  content: .init(entries: files, bytes: Int64(files) * 100, newestChange: Int64(files)))
        }
        #expect(ledger.needsContent(folder(files: 0)))
        #expect(ledger.reconcile([folder(files: 1)], at: .seconds(0)).isEmpty)
        #expect(ledger.reconcile([folder(files: 2)], at: .seconds(2)).isEmpty)  // filled in place: not yet
        #expect(ledger.reconcile([folder(files: 2)], at: .seconds(4)).map(\.kind) == [.directory])
        #expect(!ledger.needsContent(folder(files: 2)))  // reported: no more walks
    }
}

// MARK: - Harness

/// A spool root with `incoming/`, `tmp/` and `processing/`, a watcher on `incoming/` driven by a manual
/// clock, and a recorder of its drops.
private struct DropHarness {
    let root: DropTemporaryFolder
    let incoming: URL
    let tmp: URL
    let processing: URL
    let clock: ManualClock
    let watcher: DropWatcher
    let recorder: DropRecorder

    /// Runs `body` against a started watcher (its start scan done), then stops it and checks that `drops`
    /// finished. A long settle and rescan period, so that nothing happens by time unless a test says so.
    static func with(before: (URL) throws -> Void = { _ in },
                     source: DropWatchSourceFactory? = nil,
                     logger: Logger = Logger(label: "spool.tests.drops"),
                     _ body: (DropHarness) async throws -> Void) async throws {
        let root = try DropTemporaryFolder()
        let incoming = root.url.appendingPathComponent("incoming")
        let tmp = root.url.appendingPathComponent("tmp")
        let processing = root.url.appendingPathComponent("processing")
        for folder in [incoming, tmp, processing] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        try before(incoming)
        let clock = ManualClock()
        let watcher = DropWatcher(directory: incoming, configuration: .init(), clock: DropWatchClock(clock),
                                  logger: logger, source: source ?? { try InotifySource(directory: $0, sink: $1) })
        let recorder = DropRecorder()
        let reader = Task { for await drop in watcher.drops { await recorder.append(drop) } }
        let runner = Task { try await watcher.run() }
        #expect(await eventually { await watcher.scanCount >= 1 })
        let harness = DropHarness(root: root, incoming: incoming, tmp: tmp, processing: processing, clock: clock,
                                  watcher: watcher, recorder: recorder)
        var failure: (any Error)?
        do { try await body(harness) } catch { failure = error }
        // Always stop, so that the next test finds libinotifytools free.
        runner.cancel()
        try await runner.value
        await reader.value  // `drops` finished
        if let failure { throw failure }
    }

    /// Creates `name` in `incoming/` and writes it in several writes before closing it.
    func writeInPlace(_ name: String, bytes: Int) throws {
        let url = incoming.appendingPathComponent(name)
        let handle = try openInPlace(url)
        let half = bytes / 2
        try handle.write(contentsOf: Data(count: half))
        try handle.write(contentsOf: Data(count: bytes - half))
        try handle.close()
    }

    /// Writes `name` in `tmp/`, then renames it into `incoming/` (maildir's hand-off).
    func writeInTmpAndRename(_ name: String, bytes: Int) throws {
        let staged = tmp.appendingPathComponent(name)
        try Data(count: bytes).write(to: staged)
        guard rename(staged.path, incoming.appendingPathComponent(name).path) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    /// The consumer's claim: renames a drop from `incoming/` into `processing/`.
    func claim(_ name: String, as claimed: String) throws {
        try FileManager.default.moveItem(at: incoming.appendingPathComponent(name),
                                         to: processing.appendingPathComponent(claimed))
    }

    /// Drops `sentinel.tar` and waits for it: inotify keeps order, so every event before it was handled.
    func dropSentinel() async throws {
        let before = await recorder.drops.count
        try writeInTmpAndRename("sentinel.tar", bytes: 1)
        #expect(await eventually { await recorder.names.dropFirst(before).contains("sentinel.tar") })
    }

    /// Advances the clock past the next timer and waits for the scan it fires.
    func advanceAndScan(by duration: Duration) async throws {
        let scans = await watcher.scanCount
        clock.advance(by: duration)
        #expect(await eventually { await watcher.scanCount > scans })
    }

    /// Waits until the drops reported are exactly `names` (in any order).
    func expectDrops(_ names: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let expected = names.sorted()
        let arrived = await eventually { await recorder.names.sorted() == expected }
        let got = await recorder.names.sorted()
        #expect(arrived, "expected \(expected), got \(got)", sourceLocation: sourceLocation)
    }

    /// Lets in-flight events land and rescans, then checks that no more drops were reported than `count`.
    func expectQuietly(count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await Task.sleep(for: .milliseconds(100))
        await watcher.rescanNow()
        try await Task.sleep(for: .milliseconds(20))
        let names = await recorder.names
        #expect(names.count == count, "expected \(count) drops, got \(names)", sourceLocation: sourceLocation)
    }
}

/// Creates `url` with open(2), as a producer writing in place does (FileManager.createFile writes an empty
/// file atomically, by rename, which the watcher would rightly take as a complete drop).
private func openInPlace(_ url: URL) throws -> FileHandle {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
}

/// Collects a watcher's drops.
private actor DropRecorder {
    private(set) var drops: [DropCandidate] = []
    var names: [String] { drops.map(\.name) }
    func append(_ drop: DropCandidate) { drops.append(drop) }
}

/// A fresh folder under the system's temporary folder, removed when the value goes away.
private final class DropTemporaryFolder: Sendable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("spool-drops-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Polls `condition` every 5 ms, up to `timeout` worth of polls. Polls, not a wall-clock deadline: when other
/// tests keep every cooperative thread busy, the watcher and this loop are held up alike, and a deadline would
/// expire before the watcher had run at all.
private func eventually(timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let polls = Int(timeout / .milliseconds(5))
    for _ in 0..<polls {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return await condition()
}

/// A source whose events the test sends: for what real inotify cannot be made to do on demand (overflow).
private final class ScriptedSource: DropWatchSource, @unchecked Sendable {
    private let lock = NSLock()
    private var sink: (@Sendable (DropWatchSignal) -> Void)?

    var factory: DropWatchSourceFactory {
        { [self] _, sink in
            lock.withLock { self.sink = sink }
            return self
        }
    }

    func send(_ signal: DropWatchSignal) { lock.withLock { sink }?(signal) }
    func stop() { lock.withLock { sink = nil } }
    func waitUntilStopped() async {}
}

/// A source that cannot start, as on a system out of inotify watches.
private struct UnavailableInotify: Sendable {
    let error = InotifyError(call: "inotifytools_watch_file", code: ENOSPC)
    var factory: DropWatchSourceFactory { { [error] _, _ in throw error } }
}

private let unavailableInotify = UnavailableInotify()

extension DropHarness {
    static func with(before: (URL) throws -> Void = { _ in }, source: UnavailableInotify,
                     logger: Logger = Logger(label: "spool.tests.drops"),
                     _ body: (DropHarness) async throws -> Void) async throws {
        try await with(before: before, source: source.factory, logger: logger, body)
    }
}

/// Events from an `InotifySource`, collected from its thread.
private final class EventList: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [DropWatchSignal] = []
    var all: [DropWatchSignal] { lock.withLock { events } }
    func append(_ event: DropWatchSignal) { lock.withLock { events.append(event) } }
}

/// A sink that sleeps on the first event and stops its source on the second.
private final class StopOnSecondEvent: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private weak var _source: InotifySource?
    var source: InotifySource? {
        get { lock.withLock { _source } }
        set { lock.withLock { _source = newValue } }
    }

    func eventArrived() {
        let count = lock.withLock {
            self.count += 1
            return self.count
        }
        if count == 1 { usleep(200_000) } else if count == 2 { source?.stop() }
    }
}

/// Log records, captured.
private final class LogCapture: @unchecked Sendable {
    struct Record {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lock = NSLock()
    private var records: [Record] = []
    var messages: [Record] { lock.withLock { records } }

    var logger: Logger {
        Logger(label: "spool.tests.drops") { _ in Handler(capture: self) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
            capture.lock.withLock {
                capture.records.append(Record(level: event.level, message: "\(event.message)", metadata: merged))
            }
        }
    }
}

/// A clock that moves only when told to: sleepers wake when `advance` passes their deadline.
final class ManualClock: Clock, @unchecked Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (left: Instant, right: Instant) -> Bool { left.offset < right.offset }
    }

    private let lock = NSLock()
    private var current = Instant(offset: .zero)
    private var sleepers: [UUID: (deadline: Instant, continuation: CheckedContinuation<Void, any Error>)] = [:]
    private var cancelledEarly: Set<UUID> = []

    var now: Instant { lock.withLock { current } }
    var minimumResolution: Duration { .zero }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = lock.withLock {
                    if cancelledEarly.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= current { return .success(()) }
                    sleepers[id] = (deadline, continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let continuation: CheckedContinuation<Void, any Error>? = lock.withLock {
                if let sleeper = sleepers.removeValue(forKey: id) { return sleeper.continuation }
                cancelledEarly.insert(id)
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    func advance(by duration: Duration) {
        let due = lock.withLock {
            current = current.advanced(by: duration)
            let due = sleepers.filter { $0.value.deadline <= current }
            for id in due.keys { sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }
}
