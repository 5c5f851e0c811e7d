import Foundation

/// Why the drop watcher cannot watch its folder.
public struct DropWatcherError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    public enum Code: String, Sendable, Hashable {
        /// The folder is missing or cannot be read.
        case unreadableFolder
        /// The path exists but is not a directory.
        case notAFolder
        /// `run()` was called a second time.
        case alreadyRunning
    }

    public let code: Code
    public let path: String
    /// What went wrong and what to do.
    public let message: String

    public init(code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
    public var errorDescription: String? { description }

    /// A failed system call on `path`, named with its errno.
    static func call(_ call: String, path: String, errno code: Int32) -> DropWatcherError {
        let advice = code == ENOENT ? "; create it or point the spool at the folder that holds incoming/" : ""
        return DropWatcherError(code: .unreadableFolder, path: path,
                                message: "\(call) failed: \(String(cString: strerror(code))) (errno \(code))\(advice)")
    }
}
