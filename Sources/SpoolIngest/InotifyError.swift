import Foundation

/// A libinotifytools call that failed, with the `errno` it reported (`inotifytools_error()`).
public struct InotifyError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    /// The C call that failed, e.g. `inotifytools_watch_file`.
    public let call: String
    /// The `errno` value; 0 when the library reported none.
    public let code: Int32
    /// What the failure means here and what to do about it, when known.
    public let detail: String?

    public init(call: String, code: Int32, detail: String? = nil) {
        self.call = call
        self.code = code
        self.detail = detail
    }

    public var description: String {
        let reason = code == 0 ? "no errno given" : "\(String(cString: strerror(code))) (errno \(code))"
        let advice = detail ?? Self.advice(call: call, code: code)
        return "\(call) failed: \(reason)" + (advice.map { "; \($0)" } ?? "")
    }

    public var errorDescription: String? { description }

    /// The usual causes of the failures an operator can fix.
    static func advice(call: String, code: Int32) -> String? {
        switch (call, code) {
        case ("inotifytools_watch_file", ENOSPC):
            "this user's inotify watches are used up: raise fs.inotify.max_user_watches (sysctl)"
        case ("inotifytools_initialize", EMFILE):
            "this user's inotify instances are used up: raise fs.inotify.max_user_instances (sysctl)"
        case (_, ENFILE), (_, EMFILE):
            "too many open files: raise the open-file limit (ulimit -n)"
        default:
            nil
        }
    }
}
