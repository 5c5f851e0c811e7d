import CArchive
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Unpacks untrusted job bundles (`.tar`, `.tar.gz`/`.tgz`, `.tar.zst`, `.zip`, told apart by content) into a
/// fresh folder, or rejects the whole archive and leaves nothing behind.
///
/// The policy is Python's PEP 706 `data` filter and more: only regular files and folders are unpacked; a
/// symlink, hard link, device, FIFO or socket rejects the archive, naming the entry; absolute paths, `..`
/// components and empty names are rejected; paths are normalised (`a//./b` is `a/b`); modes are masked to 0644
/// for files and 0755 for folders (setuid, setgid, sticky and group/other write cleared, owner read/write
/// kept); ownership, times, ACLs and extended attributes are not restored; nothing is overwritten. The limits of
/// `ExtractionLimits` are enforced on the bytes actually read (`archive_read_data`), never on what headers
/// claim.
///
/// Why our own writer instead of `archive_write_disk` with `ARCHIVE_EXTRACT_SECURE_SYMLINKS | SECURE_NODOTDOT |
/// SECURE_NOABSOLUTEPATHS | NO_OVERWRITE`: those checks are path-based (lstat of each component, then open by
/// path), so they race with anything else writing into the destination, and libarchive's history in exactly
/// this code (CVE-2016-5418, CVE-2021-23177, CVE-2021-31566) shows how easy they are to get wrong. Here every
/// file is created with `openat(parent, name, O_CREAT | O_EXCL | O_NOFOLLOW)` relative to a directory
/// descriptor that was itself opened with `O_NOFOLLOW` from the destination's descriptor
/// (`DestinationDirectory`), so no path is ever resolved through a link, and the byte counting, the limits and
/// the rollback live in one loop we own. It also does less per file than `archive_write_disk` (no lstat walk,
/// fchmod, futimens), which keeps us at bsdtar's speed: each entry is copied with `archive_read_data` into a
/// 256 KiB buffer (`ArchiveReader.blockSize`, measured) and written with write(2).
public struct ArchiveExtractor: Sendable {
    public init() {}

    /// Unpacks `archive` into `destination` (absent, or an empty folder) within `limits`.
    ///
    /// On any rejection nothing stays: what this call wrote is removed, and `destination` too if this call
    /// created it.
    public func extract(
        archive: URL, into destination: URL, limits: ExtractionLimits = .default
    ) throws(ExtractionError) -> ExtractionReport {
        try UTF8Locale.run { () throws(ExtractionError) -> ExtractionReport in
            let start = ContinuousClock.now
            let root = try DestinationDirectory(creatingOrOpening: destination)
            do throws(ExtractionError) {
                var tally = Tally()
                let disk = try DiskBudget(destination: root, reserve: limits.diskReserveBytes)
                let reader = try ArchiveReader(url: archive)
                var report = try Self.unpack(reader, into: root, limits: limits, tally: &tally, disk: disk)
                report.seconds = Self.seconds(since: start)
                root.close()
                return report
            } catch {
                root.rollBack()
                throw error
            }
        }
    }

    /// Whether `url` is an archive this type unpacks, judged by content (a zip or ustar signature, or libarchive
    /// reading a first header through any supported compression), never by name. False for a folder, an
    /// unreadable or empty file, an image, a JSONL or a YAML file.
    public static func isArchive(_ url: URL) -> Bool {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else {
            _ = Glibc.close(fd)
            return false
        }
        var head = [UInt8](repeating: 0, count: 512)
        let count = pread(fd, &head, head.count, 0)
        if count >= 4 && head[0] == 0x50 && head[1] == 0x4B
            && [(3, 4), (5, 6), (7, 8)].contains(where: { head[2] == $0.0 && head[3] == $0.1 })
        {
            _ = Glibc.close(fd)
            return true  // "PK\3\4", "PK\5\6" (empty zip), "PK\7\8" (spanned)
        }
        if count >= 262 && Array(head[257..<262]) == Array("ustar".utf8) {
            _ = Glibc.close(fd)
            return true
        }
        return UTF8Locale.run {
            // The reader owns fd from here, and closes it.
            guard let reader = try? ArchiveReader(fd: fd, name: url.lastPathComponent) else { return false }
            var warnings: [String] = []
            return (try? reader.nextHeader(warnings: &warnings, entriesSoFar: 0)) != nil
        }
    }

    // MARK: The streaming loop

    /// What a bundle's two extractions count together.
    struct Tally {
        var entries = 0
        var bytes: Int64 = 0
    }

    /// File-type bits of `archive_entry_filetype` (archive_entry.h's AE_IF* macros, which Swift cannot import
    /// because they are casts).
    enum FileType {
        static let mask: mode_t = 0o170000
        static let regular: mode_t = 0o100000
        static let directory: mode_t = 0o040000
        static let symlink: mode_t = 0o120000
        static let characterDevice: mode_t = 0o020000
        static let blockDevice: mode_t = 0o060000
        static let fifo: mode_t = 0o010000
        static let socket: mode_t = 0o140000
    }

    /// Unpacks every entry of `reader` into `destination`. No rollback here: the public entry points own it.
    /// `entryLimit` gives an entry's byte limit (a bundle lets its nested images archive use the total).
    static func unpack(
        _ reader: ArchiveReader, into destination: DestinationDirectory, limits: ExtractionLimits,
        tally: inout Tally, disk: DiskBudget, entryLimit: (EntryPath) -> Int64? = { _ in nil }
    ) throws(ExtractionError) -> ExtractionReport {
        var report = ExtractionReport()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: ArchiveReader.blockSize, alignment: 64)
        defer { buffer.deallocate() }
        let directoriesBefore = destination.createdDirectories
        var written: Int64 = 0  // by this archive, for its compression ratio
        var entries = 0

        while let entry = try reader.nextHeader(warnings: &report.warnings, entriesSoFar: entries) {
            entries += 1
            let raw = try entryName(entry)
            tally.entries += 1
            if tally.entries > limits.maxEntries {
                throw ExtractionError(
                    .tooManyEntries, entry: raw, limit: "maxEntries", value: Int64(limits.maxEntries),
                    reason: "The archive has more than \(limits.maxEntries) entries (maxEntries); '\(raw)' is one "
                        + "too many. Split the dataset into several jobs or raise the limit.")
            }
            if archive_entry_is_encrypted(entry) != 0 {
                throw ExtractionError(
                    .encrypted, entry: raw,
                    reason: "Entry '\(raw)' is encrypted; the spool never asks for passwords. Pack the bundle "
                        + "without encryption.")
            }
            let isDirectory = try checkType(entry, name: raw)
            let path = try EntryPath(raw, limits: limits)

            if isDirectory {
                if path.components.isEmpty { continue }  // "./": the destination itself
                try disk.claim(DiskBudget.entryOverhead, entry: raw)
                try destination.makeDirectory(
                    path.components, mode: (archive_entry_perm(entry) & 0o755) | 0o700, entry: raw)
                continue
            }
            if path.components.isEmpty {
                throw ExtractionError(
                    .invalidName, entry: raw,
                    reason: "File entry '\(raw)' has no name once normalised. Re-create the archive.")
            }
            let limit = entryLimit(path) ?? limits.maxEntryBytes
            if archive_entry_size_is_set(entry) != 0 {
                // Early refusal on the claimed size; the real bytes are counted below all the same.
                let claimed = archive_entry_size(entry)
                try checkEntryBytes(claimed, limit: limit, entry: raw, limits: limits)
                try checkTotalBytes(tally.bytes + claimed, entry: raw, limits: limits)
                try disk.ensure(claimed, entry: raw)
            }
            try disk.claim(DiskBudget.entryOverhead, entry: raw)
            let file = try destination.createFile(
                path.components, mode: (archive_entry_perm(entry) & 0o644) | 0o600, entry: raw)
            var entryBytes: Int64 = 0
            do throws(ExtractionError) {
                while true {
                    let count = try reader.readData(into: buffer, entry: raw)
                    if count == 0 { break }
                    let n = Int64(count)
                    entryBytes += n
                    try checkEntryBytes(entryBytes, limit: limit, entry: raw, limits: limits)
                    tally.bytes += n
                    try checkTotalBytes(tally.bytes, entry: raw, limits: limits)
                    written += n
                    try checkRatio(written: written, read: reader.bytesRead, entry: raw, limits: limits)
                    try disk.claim(n, entry: raw)
                    try writeAll(file, buffer, count, path: path, entry: raw)
                }
            } catch {
                _ = Glibc.close(file)
                throw error
            }
            if Glibc.close(file) != 0 && errno != EINTR {
                throw DestinationDirectory.systemError("close", path: path.path, entry: raw, code: errno)
            }
            report.files += 1
            report.bytes += entryBytes
        }
        report.directories = destination.createdDirectories - directoriesBefore
        report.archiveBytes = reader.bytesRead
        report.format = reader.formatDescription
        return report
    }

    /// The entry's name as UTF-8, or `.invalidName`.
    private static func entryName(_ entry: OpaquePointer) throws(ExtractionError) -> String {
        // pathname_utf8 converts from the archive's charset; it is nil when libarchive cannot, and then the raw
        // bytes are used if they are UTF-8 already (pax and most zips store UTF-8).
        if let utf8 = archive_entry_pathname_utf8(entry), let name = String(validatingCString: utf8) { return name }
        guard let bytes = archive_entry_pathname(entry) else {
            throw ExtractionError(.invalidName, reason: "An entry has no name. Re-create the archive.")
        }
        if let name = String(validatingCString: bytes) { return name }
        let shown = String(decoding: UnsafeRawBufferPointer(start: bytes, count: strlen(bytes)), as: UTF8.self)
        throw ExtractionError(
            .invalidName, entry: shown,
            reason: "Entry '\(shown)' has a name that is not UTF-8. Re-create the archive with UTF-8 names "
                + "(e.g. `zip` 3.0 or `tar --format=pax`).")
    }

    /// True for a folder, false for a regular file; throws for everything else.
    private static func checkType(_ entry: OpaquePointer, name: String) throws(ExtractionError) -> Bool {
        if let target = archive_entry_hardlink(entry) {
            throw ExtractionError(
                .link, entry: name,
                reason: "Entry '\(name)' is a hard link to '\(String(cString: target))'; links are not unpacked. "
                    + "Re-create the archive with the files themselves (e.g. `tar --hard-dereference`).")
        }
        let type = archive_entry_filetype(entry) & FileType.mask
        if type == FileType.symlink || archive_entry_symlink(entry) != nil {
            let target = archive_entry_symlink(entry).map { String(cString: $0) } ?? "?"
            throw ExtractionError(
                .link, entry: name,
                reason: "Entry '\(name)' is a symbolic link to '\(target)'; links are not unpacked. Re-create the "
                    + "archive with the files themselves (e.g. `tar -h`, or `zip` without `-y`).")
        }
        switch type {
        case FileType.regular: return false
        case FileType.directory: return true
        default:
            let kind =
                switch type {
                case FileType.characterDevice: "a character device"
                case FileType.blockDevice: "a block device"
                case FileType.fifo: "a FIFO (named pipe)"
                case FileType.socket: "a socket"
                default: "of unknown type \(String(type, radix: 8))"
                }
            throw ExtractionError(
                .specialFile, entry: name,
                reason: "Entry '\(name)' is \(kind); only files and folders are unpacked. Remove it from the "
                    + "archive.")
        }
    }

    private static func checkEntryBytes(
        _ bytes: Int64, limit: Int64, entry: String, limits: ExtractionLimits
    ) throws(ExtractionError) {
        guard bytes > limit else { return }
        let name = limit == limits.maxEntryBytes ? "maxEntryBytes" : "maxTotalBytes"
        throw ExtractionError(
            .entryTooLarge, entry: entry, limit: name, value: limit,
            reason: "Entry '\(entry)' is larger than \(ExtractionError.bytes(limit)) (\(name)). Split or shrink "
                + "the file, or raise the limit.")
    }

    private static func checkTotalBytes(_ bytes: Int64, entry: String, limits: ExtractionLimits) throws(ExtractionError) {
        guard bytes > limits.maxTotalBytes else { return }
        throw ExtractionError(
            .tooLarge, entry: entry, limit: "maxTotalBytes", value: limits.maxTotalBytes,
            reason: "Unpacking would write more than \(ExtractionError.bytes(limits.maxTotalBytes)) "
                + "(maxTotalBytes), reached at entry '\(entry)'. Split the dataset into several jobs or raise the "
                + "limit.")
    }

    private static func checkRatio(
        written: Int64, read: Int64, entry: String, limits: ExtractionLimits
    ) throws(ExtractionError) {
        guard written > limits.compressionRatioGraceBytes else { return }
        let (allowed, overflow) = Int64(limits.maxCompressionRatio).multipliedReportingOverflow(by: max(read, 1))
        guard !overflow, written > allowed else { return }
        throw ExtractionError(
            .compressionRatio, entry: entry, limit: "maxCompressionRatio", value: Int64(limits.maxCompressionRatio),
            reason: "The archive expands more than \(limits.maxCompressionRatio):1 (\(ExtractionError.bytes(written)) "
                + "written from \(ExtractionError.bytes(read)) read, at entry '\(entry)'): it looks like a "
                + "decompression bomb. If the data is genuine, raise maxCompressionRatio.")
    }

    private static func writeAll(
        _ file: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, path: EntryPath, entry: String
    ) throws(ExtractionError) {
        var done = 0
        while done < count {
            let n = Glibc.write(file, buffer + done, count - done)
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                throw DestinationDirectory.systemError("write", path: path.path, entry: entry, code: n < 0 ? errno : EIO)
            }
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
