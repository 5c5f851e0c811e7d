import CArchive
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Owns one libarchive read handle and the file it reads, and frees both (`archive_read_free`, `close`).
///
/// The file is read through our own callbacks, in `blockSize` reads, so that `bytesRead` counts every byte taken
/// from the archive file, seeks included: the compression ratio is judged against it. (A zip whose central
/// directory points many entries at one compressed block, Fifield's overlapping zip bomb, is read once per entry
/// and so counted once per entry.)
///
/// Only the formats and compressions a bundle may use are enabled, detected by content: tar (ustar, pax, GNU,
/// v7) and zip; gzip, bzip2, xz and zstd. Not `archive_read_support_format_all`/`filter_all`: they add parsers
/// for 7-Zip, RAR, ISO 9660, CAB, LHA, XAR, WARC and mtree (most of libarchive's CVEs live there, and mtree
/// reads paths named in a text file) and filters that run external programs (lrzip, lzop, grzip) on untrusted
/// input. Detection is still by content, never by name.
final class ArchiveReader {
    /// Bytes per read(2) of the archive file, and per `archive_read_data` into the caller's buffer.
    ///
    /// 256 KiB, not 1 MiB: the data crosses three buffers (read, libarchive's copy into ours, write), and at
    /// 1 MiB each they fall out of the L2 cache. Measured against `bsdtar -x` into tmpfs (medians of 15
    /// interleaved runs, Debian 12, 2 shared cores): one 200 MB file, 1 MiB 0.77x, 256 KiB 0.87x (0.93x
    /// without Swift's ~9 ms process start); 4,000 images of 120 KB, 1 MiB 0.96x, 256 KiB 1.02x. On the disk,
    /// where bundles are unpacked, I/O dominates and every size is within noise of bsdtar (0.9-1.3x).
    static let blockSize = 256 << 10

    /// The libarchive handle (`struct archive *`).
    let handle: OpaquePointer
    /// What the error messages call the archive.
    let name: String
    private let source: Source

    /// The state the C callbacks reach through libarchive's client-data pointer.
    fileprivate final class Source {
        let fd: Int32
        let seekable: Bool
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: ArchiveReader.blockSize, alignment: 64)
        var bytesRead: Int64 = 0
        /// errno of the last failed read/lseek, for messages (libarchive's archive_set_error is variadic, which
        /// Swift cannot call).
        var lastErrno: Int32 = 0

        init(fd: Int32, seekable: Bool) {
            self.fd = fd
            self.seekable = seekable
        }

        deinit {
            buffer.deallocate()
            _ = Glibc.close(fd)
        }
    }

    /// Opens the archive at `url` (following a symlink there: the caller chose that path).
    convenience init(url: URL) throws(ExtractionError) {
        let fd = Glibc.open(url.path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            throw ExtractionError(
                .io, reason: "Cannot open '\(url.path)': \(String(cString: strerror(code))) (open, errno \(code)).")
        }
        try self.init(fd: fd, name: url.lastPathComponent)
    }

    /// Reads the archive open on `fd`, which this reader now owns (it is closed even when this throws).
    init(fd: Int32, name: String) throws(ExtractionError) {
        var st = stat()
        let regular = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        if regular { _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) }
        source = Source(fd: fd, seekable: regular)
        self.name = name
        guard let handle = archive_read_new() else {
            throw ExtractionError(.io, reason: "libarchive could not allocate a reader (archive_read_new).")
        }
        self.handle = handle
        // After this point deinit frees the handle if a step throws.
        try check(archive_read_support_format_tar(handle), "archive_read_support_format_tar")
        try check(archive_read_support_format_zip(handle), "archive_read_support_format_zip")
        try check(archive_read_support_filter_gzip(handle), "archive_read_support_filter_gzip")
        try check(archive_read_support_filter_bzip2(handle), "archive_read_support_filter_bzip2")
        try check(archive_read_support_filter_xz(handle), "archive_read_support_filter_xz")
        try check(archive_read_support_filter_zstd(handle), "archive_read_support_filter_zstd")

        let context = Unmanaged.passUnretained(source).toOpaque()
        try check(archive_read_set_callback_data(handle, context), "archive_read_set_callback_data")
        try check(archive_read_set_read_callback(handle, readCallback), "archive_read_set_read_callback")
        if regular {
            try check(archive_read_set_skip_callback(handle, skipCallback), "archive_read_set_skip_callback")
            try check(archive_read_set_seek_callback(handle, seekCallback), "archive_read_set_seek_callback")
        }
        let opened = archive_read_open1(handle)
        if opened != ARCHIVE_OK && opened != ARCHIVE_WARN {
            throw formatError(entry: nil)
        }
    }

    deinit {
        // archive_read_free closes the archive first; our close callback is unset, so the fd is Source's to close.
        _ = archive_read_free(handle)
    }

    /// Bytes taken from the archive file so far.
    var bytesRead: Int64 { source.bytesRead }

    /// The next entry (`struct archive_entry *`, valid until the next call), or nil at the end. libarchive's
    /// warnings go to `warnings`.
    func nextHeader(warnings: inout [String], entriesSoFar: Int) throws(ExtractionError) -> OpaquePointer? {
        var entry: OpaquePointer?
        var retries = 0
        while true {
            let status = archive_read_next_header(handle, &entry)
            switch status {
            case ARCHIVE_OK:
                return entry
            case ARCHIVE_EOF:
                return nil
            case ARCHIVE_WARN:
                if warnings.count < ExtractionReport.maxWarnings { warnings.append(message) }
                return entry
            case ARCHIVE_RETRY where retries < 3:
                retries += 1
            default:
                if entriesSoFar == 0 { throw formatError(entry: nil) }
                throw ExtractionError(
                    .corrupt,
                    reason: "'\(name)' is damaged after \(entriesSoFar) entries: \(message). Re-create the archive "
                        + "and copy it again (was the copy complete?).")
            }
        }
    }

    /// Reads the current entry's data into `buffer` (at most `blockSize` bytes); 0 at the end of the entry.
    func readData(into buffer: UnsafeMutableRawPointer, entry: String) throws(ExtractionError) -> Int {
        var retries = 0
        while true {
            let n = archive_read_data(handle, buffer, Self.blockSize)
            if n >= 0 { return n }
            if n == Int(ARCHIVE_RETRY) && retries < 3 {
                retries += 1
                continue
            }
            // ARCHIVE_WARN here means damaged data (e.g. a bad CRC), never something to keep.
            throw ExtractionError(
                .corrupt, entry: entry,
                reason: "The data of entry '\(entry)' in '\(name)' is damaged: \(message). Re-create the archive and "
                    + "copy it again.")
        }
    }

    /// "POSIX pax interchange format (gzip)".
    var formatDescription: String {
        let format = archive_format_name(handle).map { String(cString: $0) } ?? "unknown format"
        let filters = (0..<max(archive_filter_count(handle) - 1, 0)).compactMap { index -> String? in
            archive_filter_name(handle, index).map { String(cString: $0) }
        }.filter { $0 != "none" }
        return filters.isEmpty ? format : "\(format) (\(filters.joined(separator: ", ")))"
    }

    /// True when a compression (not just the raw file) was recognised.
    var isCompressed: Bool { archive_filter_count(handle) > 1 }

    /// libarchive's message for the last failure, with the file's errno when a read of ours failed.
    var message: String {
        var text = archive_error_string(handle).map { String(cString: $0) } ?? "unknown libarchive error"
        if source.lastErrno != 0 { text += " (\(String(cString: strerror(source.lastErrno))))" }
        return text
    }

    private func check(_ status: Int32, _ call: String) throws(ExtractionError) {
        // ARCHIVE_WARN from a support_filter call means "an external program will be used": still safe to go on.
        if status == ARCHIVE_OK || status == ARCHIVE_WARN { return }
        throw ExtractionError(.io, reason: "libarchive failed in \(call): \(message).")
    }

    /// Unrecognised content, or a recognised compression whose content is damaged.
    private func formatError(entry: String?) -> ExtractionError {
        if isCompressed || source.lastErrno != 0 {
            return ExtractionError(
                .corrupt, entry: entry,
                reason: "'\(name)' is compressed (\(formatDescription)) but cannot be read: \(message). Re-create "
                    + "the archive and copy it again (was the copy complete?).")
        }
        return ExtractionError(
            .unsupportedFormat, entry: entry,
            reason: "'\(name)' is not a tar (plain, .gz, .bz2, .xz, .zst) or zip archive (libarchive: \(message)). "
                + "Pack the bundle as .tar, .tar.gz, .tar.zst or .zip.")
    }
}

// MARK: C callbacks (file-level functions, as C function pointers must be; they reach the Source through
// libarchive's client-data pointer)

private func readCallback(
    _: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> Int {
    let source = Unmanaged<ArchiveReader.Source>.fromOpaque(context!).takeUnretainedValue()
    while true {
        let n = Glibc.read(source.fd, source.buffer, ArchiveReader.blockSize)
        if n >= 0 {
            source.bytesRead += Int64(n)
            out?.pointee = UnsafeRawPointer(source.buffer)
            return n
        }
        if errno == EINTR { continue }
        source.lastErrno = errno
        return Int(ARCHIVE_FATAL)
    }
}

private func skipCallback(_: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ request: Int64) -> Int64 {
    let source = Unmanaged<ArchiveReader.Source>.fromOpaque(context!).takeUnretainedValue()
    // Returning 0 tells libarchive to read through instead.
    if request <= 0 || lseek(source.fd, off_t(request), SEEK_CUR) < 0 { return 0 }
    return request
}

private func seekCallback(
    _: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ offset: Int64, _ whence: Int32
) -> Int64 {
    let source = Unmanaged<ArchiveReader.Source>.fromOpaque(context!).takeUnretainedValue()
    let position = lseek(source.fd, off_t(offset), whence)
    if position < 0 {
        source.lastErrno = errno
        return Int64(ARCHIVE_FATAL)
    }
    return Int64(position)
}
