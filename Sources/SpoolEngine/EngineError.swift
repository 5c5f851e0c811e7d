import CSpoolEngine

/// A failure inside the libtorch engine, carrying libtorch's own message.
public struct EngineError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: Int32, Sendable {
        case invalidArgument = 1
        case io = 2
        case torch = 3
        case outOfMemory = 4
        case weights = 5
        /// The weights fit but for the head's size: the file is for another number of classes.
        case headShape = 6
        case `internal` = 9
    }

    public let code: Code
    /// The engine call that failed, e.g. `spool_model_load`.
    public let operation: String
    public let message: String

    /// What a person reads: the engine's message (which names the file or value), never the C function.
    public var description: String {
        switch code {
        case .torch, .internal: "the engine failed: \(message)"
        case .outOfMemory: "out of memory: \(message)"
        default: message
        }
    }

    /// The same, with the engine call, for logs and bug reports.
    public var debugDescription: String { "\(operation): \(message)" }

    init(status: spool_status, operation: String) {
        self.code = Code(rawValue: Int32(status.rawValue)) ?? .internal
        self.operation = operation
        self.message = String(cString: spool_last_error())
    }

    init(code: Code, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }
}

/// Checks an engine status and throws its error.
@inline(__always)
func check(_ status: spool_status, _ operation: @autoclosure () -> String) throws(EngineError) {
    if status != SPOOL_OK { throw EngineError(status: status, operation: operation()) }
}

/// Reads a C string the engine allocated, then frees it.
func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    guard let pointer else { return "" }
    defer { spool_string_free(pointer) }
    return String(cString: pointer)
}
