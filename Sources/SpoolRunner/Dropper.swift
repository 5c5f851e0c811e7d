import Foundation
import SpoolCore
import SpoolIngest

/// Puts a bundle into `incoming/` the safe way: copy into `tmp/` (same filesystem), fingerprint the copy,
/// then rename(2) it in. The fingerprint is taken before the hand-over: once renamed, the drop belongs to the
/// daemon, which may move it at once.
public struct Dropper: Sendable {
    public let layout: SpoolLayout
    public init(layout: SpoolLayout) { self.layout = layout }

    /// A drop handed over: its name in `incoming/` and its SHA-256, which together identify it in the
    /// queue's `drops` (see `JobStore.drop(named:sha256:after:)`).
    public struct Drop: Sendable, Equatable {
        public var name: String
        public var sha256: String
        public var url: URL
    }

    /// Copies `source` into the spool and renames it into `incoming/`. A name already taken there gets a
    /// numbered suffix. On any error the staging copy is removed and nothing reaches `incoming/`.
    public func drop(_ source: URL) throws -> Drop {
        let staging = try stage(source)
        return try handOver(staging, as: source.standardizedFileURL.lastPathComponent)
    }

    /// Copies `source` into `tmp/` (a hidden name the daemon never takes) and lets `prepare` change the copy
    /// (`submit --set`); the user's bundle is never touched. Hand the copy over with `handOver(_:as:)`, or
    /// remove it. On any error the copy is removed.
    public func stage(_ source: URL, prepare: ((URL) throws -> Void)? = nil) throws -> URL {
        let fm = FileManager.default
        try layout.create()
        let source = source.standardizedFileURL
        try Self.refuseSpoolInside(source, layout: layout)
        let staging = layout.tmp.appendingPathComponent(".\(UUID().uuidString)-\(source.lastPathComponent)")
        do {
            try fm.copyItem(at: source, to: staging)
        } catch {
            try? fm.removeItem(at: staging)
            throw RunnerError("cannot copy \(source.path) into the spool: \(ErrorText.describe(error))")
        }
        do {
            try prepare?(staging)
        } catch {
            // The preparer's own error, as it said it.
            try? fm.removeItem(at: staging)
            throw error
        }
        return staging
    }

    /// Fingerprints a staged copy and renames it into `incoming/` as `name` (numbered when taken). On any
    /// error the copy is removed and nothing reaches `incoming/`.
    public func handOver(_ staging: URL, as name: String) throws -> Drop {
        do {
            let sha = try BundleFingerprint.sha256(of: staging)
            let target = freeName(for: name)
            guard rename(staging.path, target.path) == 0 else {
                throw RunnerError("cannot move the copy into \(layout.incoming.path): \(String(cString: strerror(errno)))")
            }
            return Drop(name: target.lastPathComponent, sha256: sha, url: target)
        } catch {
            try? FileManager.default.removeItem(at: staging)
            if let error = error as? RunnerError { throw error }
            throw RunnerError("cannot hand \(staging.path) over to \(layout.incoming.path): \(ErrorText.describe(error))")
        }
    }

    /// A source folder that holds the spool itself would be copied into its own `tmp/` without end.
    static func refuseSpoolInside(_ source: URL, layout: SpoolLayout) throws {
        let real = { (url: URL) in url.resolvingSymlinksInPath().standardizedFileURL.path }
        let sourcePath = real(source), spoolPath = real(layout.root)
        if spoolPath == sourcePath || spoolPath.hasPrefix(sourcePath.hasSuffix("/") ? sourcePath : sourcePath + "/") {
            throw RunnerError("\(source.path) contains the spool (\(layout.root.path)); submit the bundle's own folder "
                + "(the one holding settings.yaml), or an archive of it")
        }
        if sourcePath.hasPrefix(spoolPath + "/") {
            throw RunnerError("\(source.path) is inside the spool; submit a bundle from outside \(layout.root.path)")
        }
    }

    /// `incoming/NAME`, or `NAME-1`, `NAME-2`... (before the archive's extension) when taken.
    func freeName(for name: String) -> URL {
        let fm = FileManager.default
        var target = layout.incoming.appendingPathComponent(name)
        var n = 1
        let multi = [".tar.gz", ".tar.zst"].first { name.hasSuffix($0) }
        let ext = (name as NSString).pathExtension
        let stem = multi.map { String(name.dropLast($0.count)) } ?? (ext.isEmpty ? name : (name as NSString).deletingPathExtension)
        let suffix = multi ?? (ext.isEmpty ? "" : ".\(ext)")
        while fm.fileExists(atPath: target.path) {
            target = layout.incoming.appendingPathComponent("\(stem)-\(n)\(suffix)")
            n += 1
        }
        return target
    }
}

/// An error of the spool's own machinery, said plainly.
public struct RunnerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
