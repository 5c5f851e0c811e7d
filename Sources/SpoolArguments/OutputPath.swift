import Foundation

/// The one overwrite rule of every command that writes a file or a folder: an existing output is never
/// replaced unless the user passes `--force`, and the refusal reads the same everywhere:
/// "PATH exists; pass --force to replace it".
public enum OutputPath {
    /// The refusal, word for word the same in every command.
    public static func refusal(_ path: String) -> CommandError {
        CommandError("\(path) exists; pass --force to replace it")
    }

    /// A file to write: refused when it exists, unless `force` (then it is overwritten by the writer).
    public static func claimFile(_ path: String, force: Bool) throws {
        var info = stat()
        guard lstat(path, &info) == 0, !force else { return }
        throw refusal(path)
    }

    /// A folder to write: an absent or empty folder is taken; one with contents (or a file in its place) is
    /// refused unless `force`, which removes it first so nothing of the earlier output is mixed in.
    public static func claimFolder(_ path: String, force: Bool) throws {
        let fm = FileManager.default
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        let isFolder = (info.st_mode & S_IFMT) == S_IFDIR
        if isFolder, (try? fm.contentsOfDirectory(atPath: path))?.isEmpty == true { return }
        guard force else { throw refusal(path) }
        do {
            try fm.removeItem(atPath: path)
        } catch {
            throw CommandError("--force: cannot remove \(path): \(error.localizedDescription)")
        }
    }
}
