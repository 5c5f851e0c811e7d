import Crypto
import Foundation

/// A drop's identity: the SHA-256 of a file, or of a folder's sorted relative paths and file contents.
///
/// A folder's digest is the SHA-256 of the lines `PATH\0HEX\n` (each file's SHA-256, paths sorted), the
/// form coreutils' `sha256sum` gave earlier releases, so digests already in a queue still match. Dotfiles
/// count: they are part of what was dropped.
public enum BundleFingerprint {
    public static func sha256(of url: URL) throws -> String {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        guard isDirectory.boolValue else { return try fileSHA256(url) }
        var files: [String] = []
        if let walker = fm.enumerator(atPath: url.path) {
            while let relative = walker.nextObject() as? String {
                var sub: ObjCBool = false
                if fm.fileExists(atPath: url.appendingPathComponent(relative).path, isDirectory: &sub), !sub.boolValue {
                    files.append(relative)
                }
            }
        }
        var manifest = SHA256()
        for relative in files.sorted() {
            let digest = try fileSHA256(url.appendingPathComponent(relative))
            manifest.update(data: Data("\(relative)\u{0}\(digest)\n".utf8))
        }
        return hex(manifest.finalize())
    }

    /// The SHA-256 of one file, read in 1 MiB chunks.
    public static func fileSHA256(_ url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
