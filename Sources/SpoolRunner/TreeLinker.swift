import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reproduces a folder tree elsewhere with hard links (link(2)) for its files, so that a model lives once on
/// disk however many folders show it. Where a link cannot be made because the target is on another
/// filesystem (EXDEV), the file is copied instead and the copy is counted, so the caller can say so.
public enum TreeLinker {
    public struct Outcome: Sendable, Equatable {
        public var linked = 0
        public var copied = 0
        /// Why the first copy was needed ("... is on another filesystem").
        public var copyReason: String?
    }

    /// Links (or, across filesystems, copies) `source` (a file or a folder) to `target`, which must not exist.
    @discardableResult
    public static func link(_ source: URL, to target: URL) throws -> Outcome {
        var outcome = Outcome()
        try link(source, to: target, &outcome)
        return outcome
    }

    private static func link(_ source: URL, to target: URL, _ outcome: inout Outcome) throws {
        let fm = FileManager.default
        var info = stat()
        guard lstat(source.path, &info) == 0 else {
            throw RunnerError("cannot read \(source.path): \(String(cString: strerror(errno)))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            try fm.createDirectory(at: target, withIntermediateDirectories: false)
            for name in try fm.contentsOfDirectory(atPath: source.path).sorted() {
                try link(source.appendingPathComponent(name), to: target.appendingPathComponent(name), &outcome)
            }
        case S_IFREG:
            if Glibc.link(source.path, target.path) == 0 {
                outcome.linked += 1
            } else if errno == EXDEV {
                if outcome.copyReason == nil {
                    outcome.copyReason = "\(target.deletingLastPathComponent().path) is on another filesystem than \(source.path)"
                }
                try fm.copyItem(at: source, to: target)
                outcome.copied += 1
            } else {
                throw RunnerError("cannot link \(source.path) to \(target.path): \(String(cString: strerror(errno)))")
            }
        default:
            // A symbolic link is reproduced as itself.
            try fm.copyItem(at: source, to: target)
        }
    }
}
