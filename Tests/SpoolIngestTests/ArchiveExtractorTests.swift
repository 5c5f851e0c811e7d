import Foundation
import SpoolCore
import Testing

@testable import SpoolIngest

/// Hostile and ordinary archives, built on the fly with Debian's python3 (tarfile, zipfile) and the zstd CLI.
@Suite struct ArchiveExtractorTests {
    let extractor = ArchiveExtractor()

    // MARK: Rejections: links, special files, paths

    @Test(arguments: ["evil.tar", "evil.zip"])
    func pathTraversalIsRejected(name: String) throws {
        let fx = try ArchiveFixture()
        let archive = try fx.archive(name, [.file("ok.txt", "fine"), .file("../evil", "pwned")])
        try fx.expectRejected(archive, code: .pathTraversal, entry: "../evil", outside: [fx.base.appending(path: "evil")])
    }

    @Test func traversalHiddenInsideAPathIsRejected() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("evil.tgz", [.file("a/b/../../../evil", "pwned")])
        try fx.expectRejected(archive, code: .pathTraversal, entry: "a/b/../../../evil",
                              outside: [fx.base.appending(path: "evil")])
    }

    @Test func absolutePathIsRejected() throws {
        let fx = try ArchiveFixture()
        let target = "/tmp/spool-evil-\(UUID().uuidString)"
        let archive = try fx.tar("abs.tar", [.file("ok.txt", "fine"), .file(target, "pwned")])
        try fx.expectRejected(archive, code: .absolutePath, entry: target, outside: [URL(filePath: target)])
    }

    @Test func symlinkToEtcThenAFileThroughItIsRejected() throws {
        let fx = try ArchiveFixture()
        let name = "spool-evil-\(UUID().uuidString)"
        let archive = try fx.tar("link.tar", [.symlink("etc", to: "/etc"), .file("etc/\(name)", "pwned")])
        try fx.expectRejected(archive, code: .link, entry: "etc", outside: [URL(filePath: "/etc/\(name)")])
    }

    @Test func symlinkEscapeInZipIsRejected() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.zip("link.zip", [.symlink("out", to: fx.outside.path), .file("out/evil.txt", "pwned")])
        try fx.expectRejected(archive, code: .link, entry: "out", outside: [fx.outside.appending(path: "evil.txt")])
    }

    @Test func hardLinkToEtcPasswdIsRejected() throws {
        let fx = try ArchiveFixture()
        let before = try Data(contentsOf: URL(filePath: "/etc/passwd"))
        // CVE-2016-5418's shape: a hard link, then data written "to" it.
        let archive = try fx.tar("hard.tar", [.hardlink("passwd", to: "/etc/passwd"), .file("passwd", "pwned")])
        let error = try fx.expectRejected(archive, code: .link, entry: "passwd", outside: [])
        #expect(error.reason.contains("/etc/passwd"))
        #expect(try Data(contentsOf: URL(filePath: "/etc/passwd")) == before)
    }

    @Test func hardLinkToAFileOutsideIsRejected() throws {
        let fx = try ArchiveFixture()
        let victim = fx.outside.appending(path: "victim.txt")
        try Data("original".utf8).write(to: victim)
        let archive = try fx.tar("hard.tgz", [.hardlink("v", to: victim.path), .file("v", "pwned")])
        try fx.expectRejected(archive, code: .link, entry: "v", outside: [])
        #expect(try String(contentsOf: victim, encoding: .utf8) == "original")
    }

    @Test(arguments: [ArchiveFixture.Entry.Kind.characterDevice, .blockDevice, .fifo])
    func specialFilesAreRejected(kind: ArchiveFixture.Entry.Kind) throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("special.tar", [
            .file("ok.txt", "fine"), ArchiveFixture.Entry(name: "dev/thing", kind: kind),
        ])
        let error = try fx.expectRejected(archive, code: .specialFile, entry: "dev/thing", outside: [])
        #expect(error.reason.contains("only files and folders"))
    }

    @Test func duplicateEntryIsNotOverwritten() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("dup.tar", [.file("a.txt", "first"), .file("a.txt", "second")])
        try fx.expectRejected(archive, code: .alreadyExists, entry: "a.txt", outside: [])
    }

    @Test func fileWhereAFolderIsNeededIsRejected() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("clash.tar", [.file("a", "file"), .file("a/b.txt", "under a file")])
        try fx.expectRejected(archive, code: .alreadyExists, entry: "a/b.txt", outside: [])
    }

    // MARK: Rejections: limits

    @Test func compressionBombIsRejectedByDefault() throws {
        let fx = try ArchiveFixture()
        // 200 MB of zeros, gzip'd to ~195 KB: 1:1000.
        let archive = try fx.tar("bomb.tgz", [.file("readme.txt", "hi"), .zeros("zeros.bin", 200_000_000)])
        let size = try #require(try FileManager.default.attributesOfItem(atPath: archive.path)[.size] as? Int)
        #expect(size < 400_000)
        let error = try fx.expectRejected(archive, code: .compressionRatio, entry: "zeros.bin", outside: [])
        #expect(error.limit == "maxCompressionRatio")
        #expect(error.value == 200)
    }

    @Test func zipBombIsRejectedByDefault() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.zip("bomb.zip", [.zeros("zeros.bin", 200_000_000)])
        try fx.expectRejected(archive, code: .compressionRatio, entry: "zeros.bin", outside: [])
    }

    @Test func tooManyEntriesIsRejected() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("many.tar", (0..<10).map { .file("f\($0).txt", "\($0)") })
        let error = try fx.expectRejected(
            archive, code: .tooManyEntries, entry: "f5.txt", outside: [], limits: ExtractionLimits(maxEntries: 5))
        #expect(error.limit == "maxEntries")
        #expect(error.value == 5)
    }

    @Test func entryTooLargeIsRejected() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("big.tar", [.file("small.txt", "x"), .zeros("big.bin", 300_000)])
        let error = try fx.expectRejected(
            archive, code: .entryTooLarge, entry: "big.bin", outside: [],
            limits: ExtractionLimits(maxEntryBytes: 100_000))
        #expect(error.limit == "maxEntryBytes")
        #expect(error.value == 100_000)
    }

    @Test func totalTooLargeIsRejected() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("total.tar", (0..<5).map { .zeros("f\($0).bin", 40_000) })
        let error = try fx.expectRejected(
            archive, code: .tooLarge, entry: "f2.bin", outside: [], limits: ExtractionLimits(maxTotalBytes: 100_000))
        #expect(error.limit == "maxTotalBytes")
    }

    /// A zip whose headers claim 100 bytes for 1 MB of data. libarchive 3.6 itself notices ("ZIP uncompressed
    /// data is wrong size"); whatever it hands over is counted as read, so either way no more than the limit lands.
    @Test func lyingSizeInHeadersIsCaughtWhileStreaming() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.zip("liar.zip", [.zeros("liar.bin", 1_000_000)], lieAboutSizes: 100)
        do {
            let report = try extractor.extract(
                archive: archive, into: fx.destination, limits: ExtractionLimits(maxEntryBytes: 10_000))
            // libarchive may stop at the claimed size; then no more than that was written.
            #expect(report.bytes <= 10_000)
        } catch {
            #expect([.entryTooLarge, .corrupt].contains(error.code))
            #expect(fx.destinationIsGone)
        }
    }

    @Test func tooDeepIsRejected() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("deep.tar", [.file("a/b/c/d.txt", "deep")])
        let error = try fx.expectRejected(
            archive, code: .tooDeep, entry: "a/b/c/d.txt", outside: [], limits: ExtractionLimits(maxDepth: 3))
        #expect(error.limit == "maxDepth")
    }

    @Test func pathTooLongIsRejected() throws {
        let fx = try ArchiveFixture()
        let name = String(repeating: "n", count: 30) + ".txt"
        let archive = try fx.tar("long.tar", [.file(name, "x")])
        try fx.expectRejected(
            archive, code: .pathTooLong, entry: name, outside: [], limits: ExtractionLimits(maxPathLength: 20))
    }

    @Test func diskReserveIsKept() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("disk.tar", [.file("a.txt", "x")])
        let error = try fx.expectRejected(
            archive, code: .diskFull, entry: "a.txt", outside: [], limits: ExtractionLimits(diskReserveBytes: 1 << 60))
        #expect(error.limit == "diskReserveBytes")
    }

    // MARK: Rejections: not an archive, damaged, busy destination

    @Test func notAnArchiveIsUnsupported() throws {
        let fx = try ArchiveFixture()
        let file = fx.base.appending(path: "notes.txt")
        try Data(repeating: 0x41, count: 5000).write(to: file)
        try fx.expectRejected(file, code: .unsupportedFormat, entry: nil, outside: [])
    }

    @Test func truncatedArchiveIsCorrupt() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("whole.tgz", [.random("a.bin", 200_000), .random("b.bin", 200_000)])
        let data = try Data(contentsOf: archive)
        let cut = fx.base.appending(path: "cut.tgz")
        try data.prefix(data.count / 2).write(to: cut)
        try fx.expectRejected(cut, code: .corrupt, entry: nil, outside: [], checkEntry: false)
    }

    @Test func nonEmptyDestinationIsRefusedAndUntouched() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("ok.tar", [.file("a.txt", "x")])
        try FileManager.default.createDirectory(at: fx.destination, withIntermediateDirectories: true)
        let mine = fx.destination.appending(path: "mine.txt")
        try Data("keep".utf8).write(to: mine)
        do {
            _ = try extractor.extract(archive: archive, into: fx.destination)
            Issue.record("a non-empty destination was accepted")
        } catch {
            #expect(error.code == .destinationNotEmpty)
        }
        #expect(try String(contentsOf: mine, encoding: .utf8) == "keep")
    }

    @Test func existingEmptyDestinationIsEmptiedNotRemovedOnRejection() throws {
        let fx = try ArchiveFixture()
        try FileManager.default.createDirectory(at: fx.destination, withIntermediateDirectories: true)
        let archive = try fx.tar("evil.tar", [.file("a/ok.txt", "fine"), .file("../evil", "pwned")])
        #expect(throws: ExtractionError.self) { try extractor.extract(archive: archive, into: fx.destination) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: fx.destination.path).isEmpty)
    }

    // MARK: What is kept

    @Test func setuidSetgidStickyAndGroupWriteAreStripped() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("modes.tar", [
            .directory("bin", mode: 0o7777), .file("bin/tool", "#!/bin/sh", mode: 0o6777),
            .file("locked.txt", "x", mode: 0o000),
        ])
        let report = try extractor.extract(archive: archive, into: fx.destination)
        #expect(report.files == 2)
        for path in ["bin", "bin/tool", "locked.txt"] {
            let mode = try fx.mode(of: fx.destination.appending(path: path))
            #expect(mode & 0o7000 == 0, "\(path): \(String(mode, radix: 8))")
            #expect(mode & 0o022 == 0, "\(path): \(String(mode, radix: 8))")
            #expect(mode & 0o600 == 0o600, "\(path): \(String(mode, radix: 8))")
        }
        #expect(try fx.mode(of: fx.destination.appending(path: "bin/tool")) & 0o111 == 0)
    }

    @Test func pathsAreNormalisedAndNamesKept() throws {
        let fx = try ArchiveFixture()
        let archive = try fx.tar("names.tar", [
            .directory("./"), .file("./a//b/./c.txt", "abc"), .file("café/ünï.txt", "unicode"),
        ])
        let report = try extractor.extract(archive: archive, into: fx.destination)
        #expect(try String(contentsOf: fx.destination.appending(path: "a/b/c.txt"), encoding: .utf8) == "abc")
        #expect(try String(contentsOf: fx.destination.appending(path: "café/ünï.txt"), encoding: .utf8) == "unicode")
        #expect(report.files == 2)
        #expect(report.directories == 3)  // a, a/b, café
        #expect(report.bytes == 10)
        #expect(report.warnings.isEmpty)
    }

    @Test(arguments: ["tar", "tgz", "tar.zst", "zip", "tar.bz2", "tar.xz"])
    func everyFormatUnpacksTheSameTree(format: String) throws {
        let fx = try ArchiveFixture()
        let entries: [ArchiveFixture.Entry] = [
            .directory("images"), .random("images/a.jpg", 70_000), .random("images/sub/b.png", 3_000_000),
            .file("train.jsonl", "{\"image_url\": \"images/a.jpg\", \"label\": \"cat\"}\n"), .file("empty.txt", ""),
        ]
        let archive = try fx.archive("bundle.\(format)", entries)
        #expect(ArchiveExtractor.isArchive(archive))
        let report = try extractor.extract(archive: archive, into: fx.destination)
        #expect(report.files == 4)
        #expect(report.bytes == Int64(entries.reduce(0) { $0 + $1.data.count }))
        #expect(report.archiveBytes > 0)
        for entry in entries where entry.kind == .file {
            #expect(try Data(contentsOf: fx.destination.appending(path: entry.name)) == entry.data)
        }
    }

    // MARK: Bundles

    @Test func nestedImagesTarInsideATarGzBundle() throws {
        let fx = try ArchiveFixture()
        let images = try fx.tar("images.tar", [.random("cat/1.jpg", 50_000), .random("dog/2.jpg", 60_000)])
        let bundle = try fx.tar("bundle.tar.gz", [
            .file("settings.yaml", "task: image_classification\n"), .file("train.jsonl", "{}\n"),
            .copy("images.tar", from: images),
        ])
        let root = try extractor.extractBundle(at: bundle, into: fx.destination)
        #expect(root.standardizedFileURL == fx.destination.standardizedFileURL)
        #expect(fx.exists(root.appending(path: "images/cat/1.jpg")))
        #expect(fx.exists(root.appending(path: "images/dog/2.jpg")))
        #expect(fx.exists(root.appending(path: "settings.yaml")))
        #expect(!fx.exists(root.appending(path: "images.tar")))
    }

    @Test func zipBundleWithASingleTopFolder() throws {
        let fx = try ArchiveFixture()
        let images = try fx.zip("images.zip", [.random("a.jpg", 10_000), .random("b/c.jpg", 10_000)])
        let bundle = try fx.zip("bundle.zip", [
            .directory("job/"), .file("job/settings.yaml", "task: x\n"), .copy("job/images.zip", from: images),
            .file("__MACOSX/job/._settings.yaml", "apple double"), .file(".DS_Store", "finder"),
        ])
        let root = try extractor.extractBundle(at: bundle, into: fx.destination)
        #expect(root.lastPathComponent == "job")
        #expect(fx.exists(root.appending(path: "settings.yaml")))
        #expect(fx.exists(root.appending(path: "images/a.jpg")))
        #expect(fx.exists(root.appending(path: "images/b/c.jpg")))
        #expect(!fx.exists(root.appending(path: "images.zip")))
    }

    @Test func tarZstBundleWithNestedTarZstImages() throws {
        let fx = try ArchiveFixture()
        let images = try fx.archive("images.tar.zst", [.random("x.jpg", 20_000)])
        let bundle = try fx.archive("bundle.tar.zst", [
            .file("bundle/settings.yaml", "task: x\n"), .copy("bundle/images.tar.zst", from: images),
        ])
        let root = try extractor.extractBundle(at: bundle, into: fx.destination)
        #expect(root.lastPathComponent == "bundle")
        #expect(fx.exists(root.appending(path: "images/x.jpg")))
        #expect(!fx.exists(root.appending(path: "images.tar.zst")))
    }

    @Test func bundleWithoutImagesArchiveReturnsItsRoot() throws {
        let fx = try ArchiveFixture()
        let bundle = try fx.tar("bundle.tgz", [.file("settings.yaml", "x"), .random("images/a.jpg", 1000)])
        let root = try extractor.extractBundle(at: bundle, into: fx.destination)
        #expect(root.standardizedFileURL == fx.destination.standardizedFileURL)
        #expect(fx.exists(root.appending(path: "images/a.jpg")))
    }

    @Test func nestedArchiveRejectionRemovesTheWholeBundle() throws {
        let fx = try ArchiveFixture()
        let images = try fx.tar("images.tar", [.file("a.jpg", "a"), .symlink("b.jpg", to: "/etc/shadow")])
        let bundle = try fx.tar("bundle.tgz", [.file("settings.yaml", "x"), .copy("images.tar", from: images)])
        do {
            _ = try extractor.extractBundle(at: bundle, into: fx.destination)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .link)
            #expect(error.entry == "b.jpg")
            #expect(error.reason.hasPrefix("In images.tar:"))
        }
        #expect(fx.destinationIsGone)
    }

    @Test func totalsCountTheBundleAndItsImagesTogether() throws {
        let fx = try ArchiveFixture()
        let images = try fx.tar("images.tar", [.random("a.jpg", 100_000), .random("b.jpg", 100_000)])
        let bundle = try fx.tar("bundle.tgz", [.file("settings.yaml", "x"), .copy("images.tar", from: images)])
        // The bundle alone (~200 KB) fits, the images again (~200 KB) do not.
        let limits = ExtractionLimits(maxTotalBytes: 350_000, maxEntries: 100)
        do {
            _ = try extractor.extractBundle(at: bundle, into: fx.destination, limits: limits)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .tooLarge)
            #expect(error.entry == "b.jpg")
        }
        #expect(fx.destinationIsGone)
        // Entry counts add up too: 2 in the bundle + 2 images > 3.
        do {
            _ = try extractor.extractBundle(at: bundle, into: fx.destination, limits: ExtractionLimits(maxEntries: 3))
            Issue.record("accepted")
        } catch {
            #expect(error.code == .tooManyEntries)
            #expect(error.entry == "b.jpg")
        }
        #expect(fx.destinationIsGone)
    }

    @Test func nestedImagesArchiveMayExceedTheEntryLimitButNotTheTotal() throws {
        let fx = try ArchiveFixture()
        let images = try fx.tar("images.tar", [.random("a.jpg", 60_000), .random("b.jpg", 60_000)])
        let bundle = try fx.tar("bundle.tar", [.file("settings.yaml", "x"), .copy("images.tar", from: images)])
        let root = try extractor.extractBundle(
            at: bundle, into: fx.destination, limits: ExtractionLimits(maxEntryBytes: 100_000))
        #expect(fx.exists(root.appending(path: "images/b.jpg")))
    }

    @Test func imagesFolderBesideImagesArchiveIsRejected() throws {
        let fx = try ArchiveFixture()
        let images = try fx.tar("images.tar", [.random("a.jpg", 1000)])
        let bundle = try fx.tar("bundle.tar", [.random("images/z.jpg", 10), .copy("images.tar", from: images)])
        do {
            _ = try extractor.extractBundle(at: bundle, into: fx.destination)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .alreadyExists)
        }
        #expect(fx.destinationIsGone)
    }

    @Test func twoImagesArchivesAreAmbiguous() throws {
        let fx = try ArchiveFixture()
        let tar = try fx.tar("images.tar", [.random("a.jpg", 1000)])
        let zip = try fx.zip("images.zip", [.random("a.jpg", 1000)])
        let bundle = try fx.tar("bundle.tar", [.copy("images.tar", from: tar), .copy("images.zip", from: zip)])
        do {
            _ = try extractor.extractBundle(at: bundle, into: fx.destination)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .ambiguousImages)
        }
        #expect(fx.destinationIsGone)
    }

    @Test func folderBundleGetsItsImagesUnpacked() throws {
        let fx = try ArchiveFixture()
        let folder = fx.base.appending(path: "dropped")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: folder.appending(path: "settings.yaml"))
        _ = try fx.tar("dropped/images.tgz", [.random("a.jpg", 1000)])
        let report = try #require(try extractor.extractNestedImages(inBundleAt: folder))
        #expect(report.files == 1)
        #expect(fx.exists(folder.appending(path: "images/a.jpg")))
        #expect(!fx.exists(folder.appending(path: "images.tgz")))
        #expect(try extractor.extractNestedImages(inBundleAt: folder) == nil)

        // A hostile one: images/ goes, the folder's own files stay.
        _ = try fx.tar("dropped2/images.tar", [.file("../../evil", "x")])
        try Data("x".utf8).write(to: fx.base.appending(path: "dropped2/settings.yaml"))
        #expect(throws: ExtractionError.self) {
            try extractor.extractNestedImages(inBundleAt: fx.base.appending(path: "dropped2"))
        }
        #expect(!fx.exists(fx.base.appending(path: "dropped2/images")))
        #expect(fx.exists(fx.base.appending(path: "dropped2/settings.yaml")))
        #expect(fx.exists(fx.base.appending(path: "dropped2/images.tar")))
    }

    /// Every path out of the reader and the destination closes its descriptors (libarchive's handle included).
    @Test func noDescriptorLeaks() throws {
        let fx = try ArchiveFixture()
        let text = fx.base.appending(path: "notes.txt")
        try Data(repeating: 0x41, count: 5000).write(to: text)
        let evil = try fx.tar("evil.tgz", [.file("a/b/ok.txt", "fine"), .symlink("a/l", to: "/etc")])
        let good = try fx.zip("good.zip", [.file("a/b/ok.txt", "fine")])
        func openDescriptors() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count }
        let before = try openDescriptors()
        for _ in 0..<30 {
            #expect(!ArchiveExtractor.isArchive(text))
            #expect(ArchiveExtractor.isArchive(evil))
            #expect(throws: ExtractionError.self) { try extractor.extract(archive: text, into: fx.destination) }
            #expect(throws: ExtractionError.self) { try extractor.extract(archive: evil, into: fx.destination) }
            _ = try extractor.extract(archive: good, into: fx.destination)
            try FileManager.default.removeItem(at: fx.destination)
        }
        // Other suites may open a few meanwhile; a leak here would be 30 or more.
        #expect(try openDescriptors() - before < 15)
    }

    // MARK: Detection and the error file

    @Test func isArchiveLooksAtContentNotNames() throws {
        let fx = try ArchiveFixture()
        #expect(ArchiveExtractor.isArchive(try fx.tar("a.tar", [.file("x", "y")])))
        #expect(ArchiveExtractor.isArchive(try fx.tar("a.tgz", [.file("x", "y")])))
        #expect(ArchiveExtractor.isArchive(try fx.archive("a.tar.zst", [.file("x", "y")])))
        #expect(ArchiveExtractor.isArchive(try fx.zip("a.zip", [.file("x", "y")])))
        #expect(ArchiveExtractor.isArchive(try fx.zip("empty.zip", [])))
        // Misnamed: a tar.gz called .jpg is an archive, a JPEG called .tar is not.
        #expect(ArchiveExtractor.isArchive(try fx.tar("photo.jpg", [.file("x", "y")], format: "tgz")))
        let jpeg = fx.base.appending(path: "images.tar")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10] + Array("JFIF".utf8) + [UInt8](repeating: 7, count: 2000))
            .write(to: jpeg)
        #expect(!ArchiveExtractor.isArchive(jpeg))
        let jsonl = fx.base.appending(path: "train.jsonl")
        try Data("{\"image_url\": \"a.jpg\"}\n".utf8).write(to: jsonl)
        #expect(!ArchiveExtractor.isArchive(jsonl))
        let empty = fx.base.appending(path: "empty.tar")
        try Data().write(to: empty)
        #expect(!ArchiveExtractor.isArchive(empty))
        #expect(!ArchiveExtractor.isArchive(fx.outside))
        #expect(!ArchiveExtractor.isArchive(fx.base.appending(path: "missing.tar")))
    }

    @Test func errorEncodesToTheErrorFileShape() throws {
        let error = ExtractionError(
            .compressionRatio, entry: "zeros.bin", limit: "maxCompressionRatio", value: 200, reason: "bomb")
        let object = try #require(try JSONSerialization.jsonObject(with: error.jsonData()) as? [String: Any])
        #expect(Set(object.keys) == ["reason", "code", "entry", "limit", "value"])
        #expect(object["code"] as? String == "compressionRatio")
        #expect(object["entry"] as? String == "zeros.bin")
        #expect(object["limit"] as? String == "maxCompressionRatio")
        #expect(object["value"] as? Int == 200)
        #expect(try JSONDecoder().decode(ExtractionError.self, from: error.jsonData()) == error)

        let bare = ExtractionError(.corrupt, reason: "damaged")
        let bareObject = try #require(try JSONSerialization.jsonObject(with: bare.jsonData()) as? [String: Any])
        #expect(Set(bareObject.keys) == ["reason", "code", "entry", "limit", "value"])
        #expect(bareObject["entry"] is NSNull)
    }

    @Test func limitsDecodeWithDefaultsForMissingKeys() throws {
        let limits = try JSONDecoder().decode(ExtractionLimits.self, from: Data(#"{"maxEntries": 7}"#.utf8))
        #expect(limits.maxEntries == 7)
        #expect(limits.maxTotalBytes == 20 << 30)
        #expect(limits.maxCompressionRatio == 200)
    }
}

// MARK: - Fixtures

/// A temp folder with `dest/` (where archives unpack, not created up front) and `outside/` (what must stay
/// untouched), and builders for archives.
final class ArchiveFixture {
    struct Entry: Sendable {
        enum Kind: Sendable, CustomTestStringConvertible {
            case file, directory, symlink, hardlink, characterDevice, blockDevice, fifo
            var testDescription: String { "\(self)" }
        }
        var name: String
        var kind: Kind
        var data = Data()
        var zeros = 0
        var link = ""
        var copyFrom = ""
        var mode: Int?

        static func file(_ name: String, _ text: String, mode: Int? = nil) -> Entry {
            Entry(name: name, kind: .file, data: Data(text.utf8), mode: mode)
        }
        /// Incompressible data, like a JPEG's.
        static func random(_ name: String, _ count: Int) -> Entry {
            let urandom = FileHandle(forReadingAtPath: "/dev/urandom")!
            defer { try? urandom.close() }
            return Entry(name: name, kind: .file, data: urandom.readData(ofLength: count))
        }
        static func zeros(_ name: String, _ count: Int) -> Entry { Entry(name: name, kind: .file, zeros: count) }
        static func copy(_ name: String, from url: URL) -> Entry { Entry(name: name, kind: .file, copyFrom: url.path) }
        static func directory(_ name: String, mode: Int? = nil) -> Entry { Entry(name: name, kind: .directory, mode: mode) }
        static func symlink(_ name: String, to target: String) -> Entry { Entry(name: name, kind: .symlink, link: target) }
        static func hardlink(_ name: String, to target: String) -> Entry { Entry(name: name, kind: .hardlink, link: target) }
    }

    let base: URL
    var destination: URL { base.appending(path: "dest") }
    var outside: URL { base.appending(path: "outside") }

    init() throws {
        base = FileManager.default.temporaryDirectory.appending(path: "spool-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base.appending(path: "outside"), withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: base) }

    /// Builds `name` under `base` in the format its extension names (or `format`).
    func archive(_ name: String, _ entries: [Entry], format: String? = nil, lieAboutSizes: Int? = nil) throws -> URL {
        let out = base.appending(path: name)
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        let kind = format ?? ["tar.bz2", "tar.xz", "tar.zst", "tar.gz", "tgz", "tar", "zip"].first { name.hasSuffix($0) }!
        let spec = base.appending(path: "spec-\(UUID().uuidString).json")
        var records: [[String: Any]] = []
        for (index, entry) in entries.enumerated() {
            var record: [String: Any] = ["name": entry.name, "kind": "\(entry.kind)", "link": entry.link]
            if entry.zeros > 0 { record["zeros"] = entry.zeros }
            if !entry.copyFrom.isEmpty { record["from"] = entry.copyFrom }
            if let mode = entry.mode { record["mode"] = mode }
            if !entry.data.isEmpty {
                let data = base.appending(path: "data-\(UUID().uuidString)-\(index)")
                try entry.data.write(to: data)
                record["from"] = data.path
            }
            records.append(record)
        }
        try JSONSerialization.data(withJSONObject: records).write(to: spec)
        let pythonKind = kind == "tar.zst" ? "tar" : kind
        let target = kind == "tar.zst" ? out.appendingPathExtension("tmp") : out
        try Self.run("/usr/bin/python3", ["-c", Self.builder, spec.path, target.path, pythonKind, "\(lieAboutSizes ?? -1)"])
        if kind == "tar.zst" {
            try Self.run("/usr/bin/zstd", ["-q", "-f", "--rm", "-o", out.path, target.path])
        }
        return out
    }

    func tar(_ name: String, _ entries: [Entry], format: String? = nil) throws -> URL {
        try archive(name, entries, format: format)
    }

    func zip(_ name: String, _ entries: [Entry], lieAboutSizes: Int? = nil) throws -> URL {
        try archive(name, entries, lieAboutSizes: lieAboutSizes)
    }

    func exists(_ url: URL) -> Bool {
        var st = stat()
        return lstat(url.path, &st) == 0
    }

    func mode(of url: URL) throws -> Int {
        var st = stat()
        guard lstat(url.path, &st) == 0 else { throw CocoaError(.fileNoSuchFile) }
        return Int(st.st_mode) & 0o7777
    }

    /// The destination was removed (or never created): nothing of the archive stays.
    var destinationIsGone: Bool {
        !exists(destination) || ((try? FileManager.default.contentsOfDirectory(atPath: destination.path)) ?? []).isEmpty
    }

    /// Extracts `archive`, expects `code` and `entry`, and checks that nothing stays in the destination and
    /// nothing appeared at `outside`.
    @discardableResult
    func expectRejected(
        _ archive: URL, code: ExtractionError.Code, entry: String?, outside: [URL],
        limits: ExtractionLimits = .default, checkEntry: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ExtractionError {
        do {
            let report = try ArchiveExtractor().extract(archive: archive, into: destination, limits: limits)
            Issue.record("expected \(code), unpacked \(report.files) files", sourceLocation: sourceLocation)
            return ExtractionError(.io, reason: "accepted")
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            if checkEntry { #expect(error.entry == entry, sourceLocation: sourceLocation) }
            #expect(!error.reason.isEmpty, sourceLocation: sourceLocation)
            #expect(!exists(destination), "the destination was left behind", sourceLocation: sourceLocation)
            for url in outside {
                #expect(!exists(url), "\(url.path) was written", sourceLocation: sourceLocation)
            }
            return error
        }
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let output = try ChildProcess.run(URL(filePath: tool), arguments)
        guard output.succeeded else {
            throw CocoaError(.fileWriteUnknown, userInfo: [
                NSLocalizedDescriptionKey: "\(tool) \(output.endDescription): \(output.stderrText)"
            ])
        }
    }

    /// argv: spec.json, output, kind (tar, tgz, tar.gz, tar.bz2, tar.xz, zip), lie (zip: claimed size, or -1).
    static let builder = #"""
import io, json, os, struct, sys, tarfile, zipfile

spec, out, kind, lie = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], int(sys.argv[4])

class Zeros(io.RawIOBase):
    def __init__(self, n): self.n = n
    def readable(self): return True
    def readinto(self, b):
        k = min(len(b), self.n); b[:k] = bytes(k); self.n -= k; return k

def source(e):
    if "zeros" in e: return e["zeros"], io.BufferedReader(Zeros(e["zeros"]), 1 << 20)
    if "from" in e: return os.path.getsize(e["from"]), open(e["from"], "rb")
    return 0, io.BytesIO(b"")

if kind == "zip":
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for e in spec:
            k = e["kind"]
            zi = zipfile.ZipInfo(e["name"] + ("/" if k == "directory" and not e["name"].endswith("/") else ""))
            zi.create_system = 3
            zi.compress_type = zipfile.ZIP_DEFLATED
            if k == "directory":
                zi.external_attr = ((0o40000 | e.get("mode", 0o755)) << 16) | 0x10
                z.writestr(zi, b"")
            elif k == "symlink":
                zi.external_attr = (0o120777 << 16)
                z.writestr(zi, e["link"])
            else:
                zi.external_attr = (0o100000 | e.get("mode", 0o644)) << 16
                size, f = source(e)
                with z.open(zi, "w", force_zip64=size > 0x7FFFFFFF) as w:
                    while chunk := f.read(1 << 20): w.write(chunk)
    if lie >= 0:
        data = bytearray(open(out, "rb").read())
        i = data.find(b"PK\x03\x04"); data[i + 22:i + 26] = struct.pack("<I", lie)
        j = data.rfind(b"PK\x01\x02"); data[j + 24:j + 28] = struct.pack("<I", lie)
        open(out, "wb").write(data)
else:
    mode = {"tar": "w", "tgz": "w:gz", "tar.gz": "w:gz", "tar.bz2": "w:bz2", "tar.xz": "w:xz"}[kind]
    opts = {"compresslevel": 6} if mode in ("w:gz", "w:bz2") else {}
    with tarfile.open(out, mode, format=tarfile.PAX_FORMAT, **opts) as t:
        for e in spec:
            ti = tarfile.TarInfo(e["name"]); ti.mtime = 0
            k = e["kind"]
            ti.mode = e.get("mode", 0o755 if k == "directory" else 0o644)
            if k == "file":
                ti.size, f = source(e); t.addfile(ti, f); continue
            ti.type = {"directory": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                       "characterDevice": tarfile.CHRTYPE, "blockDevice": tarfile.BLKTYPE,
                       "fifo": tarfile.FIFOTYPE}[k]
            ti.linkname = e["link"]
            if k in ("characterDevice", "blockDevice"): ti.devmajor, ti.devminor = 1, 3
            t.addfile(ti)
"""#
}
