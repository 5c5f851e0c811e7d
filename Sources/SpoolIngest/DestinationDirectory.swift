import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The folder an archive unpacks into, reached only through directory descriptors.
///
/// Every file and folder is created with `openat`/`mkdirat` relative to the descriptor of its parent, and every
/// parent is opened with `O_NOFOLLOW | O_DIRECTORY` one component at a time from the root's descriptor, so no
/// path is ever resolved through a symlink, even one planted by another process while we unpack. Files are
/// created with `O_CREAT | O_EXCL | O_NOFOLLOW`: an existing file (or link) is never overwritten or followed.
/// Parents' descriptors are cached (`cacheLimit`), since archives list a folder's files together.
final class DestinationDirectory {
    /// Parents' descriptors kept open at most (archives are mostly in folder order, so a few suffice).
    static let cacheLimit = 64

    /// Where it is (for messages and for callers: never used to resolve an entry).
    let url: URL
    /// The root's descriptor.
    private(set) var fd: Int32
    /// Whether this extraction created the root (then a rollback removes it, not just its contents).
    let createdRoot: Bool
    /// Whether everything below the root is ours to remove on a rollback (false for a caller's existing bundle
    /// folder, which is only ever added to).
    let ownsContents: Bool
    /// For a folder created inside another: the parent's descriptor (owned) and the name, so that a rollback
    /// removes it without resolving a path.
    private var parentFD: Int32 = -1
    private var nameInParent: String = ""
    /// Folders this object created (named by entries or implied by their paths).
    private(set) var createdDirectories = 0
    /// Normalised relative path of a folder -> its descriptor (never the root's).
    private var cache: [String: Int32] = [:]

    /// Opens the folder at `url`, creating it (mode 0755) when absent; an existing one must be empty.
    init(creatingOrOpening url: URL) throws(ExtractionError) {
        self.url = url
        let path = url.path
        var created = false
        if mkdir(path, 0o755) == 0 {
            created = true
        } else if errno != EEXIST {
            throw Self.systemError("mkdir", path: path, entry: nil, code: errno)
        }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            let error = Self.systemError("open", path: path, entry: nil, code: errno)
            if created { _ = rmdir(path) }
            throw error
        }
        self.fd = fd
        self.createdRoot = created
        self.ownsContents = true
        if !created, let names = Self.names(in: fd), !names.isEmpty {
            throw ExtractionError(
                .destinationNotEmpty,
                reason: "The destination '\(path)' already holds \(names.count) entries; unpacking needs an empty or "
                    + "absent folder. Remove it or choose another.")
        }
    }

    /// An existing folder that is only added to (a bundle the caller unpacked or dropped as a folder).
    init(existing url: URL) throws(ExtractionError) {
        self.url = url
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw Self.systemError("open", path: url.path, entry: nil, code: errno) }
        self.fd = fd
        self.createdRoot = false
        self.ownsContents = false
    }

    /// A fresh folder `components` below `parent` (created here; it must not exist), e.g. a bundle's `images/`.
    init(freshChildOf parent: DestinationDirectory, _ components: [String], entry: String) throws(ExtractionError) {
        let parentFD = try parent.directory(components.dropLast(), entry: entry)
        let name = components.last!
        if mkdirat(parentFD, name, 0o755) != 0 {
            if errno == EEXIST {
                throw ExtractionError(
                    .alreadyExists, entry: entry,
                    reason: "'\(components.joined(separator: "/"))' already exists beside '\(entry)'. A bundle holds "
                        + "its images either as a folder or as an archive: keep one.")
            }
            throw Self.systemError("mkdirat", path: components.joined(separator: "/"), entry: entry, code: errno)
        }
        parent.createdDirectories += 1
        let fd = openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            let error = Self.systemError("openat", path: components.joined(separator: "/"), entry: entry, code: errno)
            _ = unlinkat(parentFD, name, AT_REMOVEDIR)
            throw error
        }
        self.fd = fd
        self.url = components.reduce(parent.url) { $0.appendingPathComponent($1, isDirectory: true) }
        self.createdRoot = true
        self.ownsContents = true
        self.parentFD = dup(parentFD)
        self.nameInParent = name
    }

    deinit { close() }

    /// Closes every descriptor (idempotent).
    func close() {
        closeCache()
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
        if parentFD >= 0 {
            _ = Glibc.close(parentFD)
            parentFD = -1
        }
    }

    private func closeCache() {
        for descriptor in cache.values { _ = Glibc.close(descriptor) }
        cache.removeAll(keepingCapacity: true)
    }

    // MARK: Creating

    /// The descriptor of the folder `components` (the root when empty), creating missing folders (0755) when
    /// `create`.
    func directory(
        _ components: ArraySlice<String>, entry: String, create: Bool = true
    ) throws(ExtractionError) -> Int32 {
        if components.isEmpty { return fd }
        let key = components.joined(separator: "/")
        if let cached = cache[key] { return cached }
        let parent = try directory(components.dropLast(), entry: entry, create: create)
        let name = components.last!
        if !create {
            // Only look: openat below fails with ENOENT when it is absent.
        } else if mkdirat(parent, name, 0o755) == 0 {
            createdDirectories += 1
        } else if errno != EEXIST {
            throw Self.systemError("mkdirat", path: key, entry: entry, code: errno)
        }
        let child = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if child < 0 {
            let code = errno
            if code == ENOTDIR || code == ELOOP {
                throw ExtractionError(
                    .alreadyExists, entry: entry,
                    reason: "Entry '\(entry)' needs a folder '\(key)' where the archive already put a file. Remove "
                        + "the duplicate name from the archive.")
            }
            throw Self.systemError("openat", path: key, entry: entry, code: code)
        }
        if cache.count >= Self.cacheLimit { closeCache() }
        cache[key] = child
        return child
    }

    /// Creates the folder an entry names (mode from the archive, masked to 0755, owner rwx kept); an existing
    /// folder is fine (archives often name a folder after its files), anything else there is not.
    func makeDirectory(_ components: [String], mode: mode_t, entry: String) throws(ExtractionError) {
        let parent = try directory(components.dropLast(), entry: entry)
        let name = components.last!
        if mkdirat(parent, name, mode) == 0 {
            createdDirectories += 1
            return
        }
        let code = errno
        guard code == EEXIST else {
            throw Self.systemError("mkdirat", path: components.joined(separator: "/"), entry: entry, code: code)
        }
        var st = stat()
        if fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { return }
        throw ExtractionError(
            .alreadyExists, entry: entry,
            reason: "Folder entry '\(entry)' names a path where the archive already put a file. Remove the "
                + "duplicate name from the archive.")
    }

    /// Creates a new file for writing (`O_EXCL | O_NOFOLLOW`: never overwrites, never follows a link).
    func createFile(_ components: [String], mode: mode_t, entry: String) throws(ExtractionError) -> Int32 {
        let parent = try directory(components.dropLast(), entry: entry)
        let file = openat(parent, components.last!, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        if file >= 0 { return file }
        let code = errno
        if code == EEXIST {
            throw ExtractionError(
                .alreadyExists, entry: entry,
                reason: "Entry '\(entry)' would overwrite '\(components.joined(separator: "/"))', which an earlier "
                    + "entry wrote (a duplicate name). Remove the duplicate from the archive.")
        }
        throw Self.systemError("openat", path: components.joined(separator: "/"), entry: entry, code: code)
    }

    /// Removes the file `components` (e.g. a bundle's unpacked `images.tar`).
    func removeFile(_ components: [String], entry: String) throws(ExtractionError) {
        let parent = try directory(components.dropLast(), entry: entry, create: false)
        if unlinkat(parent, components.last!, 0) != 0 {
            throw Self.systemError("unlinkat", path: components.joined(separator: "/"), entry: entry, code: errno)
        }
    }

    /// Opens the regular file `components` for reading, without following a link.
    func openForReading(_ components: [String], entry: String) throws(ExtractionError) -> Int32 {
        let parent = try directory(components.dropLast(), entry: entry, create: false)
        let file = openat(parent, components.last!, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if file < 0 { throw Self.systemError("openat", path: components.joined(separator: "/"), entry: entry, code: errno) }
        return file
    }

    // MARK: Inspecting

    enum Kind { case file, directory, other }

    /// What is at `components` (not following a link), or nil when nothing is.
    func kind(_ components: [String]) -> Kind? {
        guard let parent = try? directory(components.dropLast(), entry: "", create: false) else {
            return nil
        }
        var st = stat()
        guard fstatat(parent, components.last!, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The names in folder `components` (the root when empty), as UTF-8 strings.
    func names(_ components: [String]) -> [String] {
        guard let folder = try? directory(components[...], entry: "", create: false),
            let raw = Self.names(in: folder)
        else { return [] }
        return raw.map { String(decoding: $0.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    }

    /// Free bytes for an unprivileged writer on the root's filesystem.
    func availableBytes() throws(ExtractionError) -> Int64 {
        var st = statvfs()
        if fstatvfs(fd, &st) != 0 { throw Self.systemError("fstatvfs", path: url.path, entry: nil, code: errno) }
        return Int64(st.f_bavail) * Int64(st.f_frsize)
    }

    // MARK: Rolling back

    /// Removes everything below the root, and the root itself when this extraction created it. Best effort: it
    /// never follows a link and never leaves the root.
    func rollBack() {
        closeCache()
        guard ownsContents, fd >= 0 else { return }
        Self.removeContents(of: fd)
        if createdRoot {
            if parentFD >= 0 {
                _ = unlinkat(parentFD, nameInParent, AT_REMOVEDIR)
            } else {
                _ = rmdir(url.path)
            }
        }
        close()
    }

    private static func removeContents(of folder: Int32) {
        guard let names = names(in: folder) else { return }
        for name in names {
            name.withUnsafeBufferPointer { buffer in
                let cName = buffer.baseAddress!
                var st = stat()
                guard fstatat(folder, cName, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
                if (st.st_mode & S_IFMT) == S_IFDIR {
                    let child = openat(folder, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    if child >= 0 {
                        removeContents(of: child)
                        _ = Glibc.close(child)
                    }
                    _ = unlinkat(folder, cName, AT_REMOVEDIR)
                } else {
                    _ = unlinkat(folder, cName, 0)
                }
            }
        }
    }

    /// The raw names (NUL-terminated bytes, `.` and `..` left out) in the folder open on `folder`.
    private static func names(in folder: Int32) -> [[CChar]]? {
        let copy = dup(folder)
        guard copy >= 0 else { return nil }
        guard let stream = fdopendir(copy) else {
            _ = Glibc.close(copy)
            return nil
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [[CChar]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [CChar] in
                let bytes = raw.bindMemory(to: CChar.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return Array(bytes[..<length]) + [0]
            }
            if name == [46, 0] || name == [46, 46, 0] { continue }  // "." and ".."
            names.append(name)
        }
        return names
    }

    // MARK: Errors

    /// `path` is an autoclosure so that building it cannot disturb errno before `code` is read.
    static func systemError(
        _ call: String, path pathText: @autoclosure () -> String, entry: String?, code: Int32
    ) -> ExtractionError {
        let path = pathText()
        let text = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT {
            return ExtractionError(
                .diskFull, entry: entry,
                reason: "The destination's filesystem is full (\(call) '\(path)': \(text)). Free some space and "
                    + "drop the bundle again.")
        }
        if code == ENAMETOOLONG {
            return ExtractionError(
                .pathTooLong, entry: entry,
                reason: "The path '\(path)' is too long for the filesystem (\(call): \(text)). Shorten the names.")
        }
        return ExtractionError(
            .io, entry: entry, reason: "\(call) '\(path)' failed: \(text) (errno \(code)). Check the destination's "
                + "permissions and filesystem.")
    }
}
