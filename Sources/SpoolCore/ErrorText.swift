import Foundation

/// An error as a person reads it: what went wrong and on which file, never a framework's domain and code
/// (`NSCocoaErrorDomain Code=516`), an enum case's name or an escaped path.
///
/// Spool's own errors already say what, where and what to do (`CustomStringConvertible`); Foundation's file
/// errors are translated here, once, for every command and the daemon.
public enum ErrorText {
    public static func describe(_ error: any Error) -> String {
        if let error = error as? CocoaError { return describe(cocoa: error) }
        if let error = error as? POSIXError { return String(cString: strerror(error.code.rawValue)) }
        if let error = error as? DecodingError { return describe(decoding: error) }
        // Spool's own errors say what, where and what to do in their description.
        if !(type(of: error) is NSError.Type) { return String(describing: error) }
        let ns = error as NSError
        if ns.domain == NSCocoaErrorDomain { return describe(cocoa: CocoaError(CocoaError.Code(rawValue: ns.code), userInfo: ns.userInfo)) }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }

    static func describe(cocoa error: CocoaError) -> String {
        let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? error.filePath ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        let underlying = (error.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { ns -> String? in
            ns.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(ns.code))) : nil
        }
        let what: String
        switch error.code {
        case .fileNoSuchFile, .fileReadNoSuchFile: what = "no such file or folder"
        case .fileWriteFileExists: what = "already exists"
        case .fileReadNoPermission, .fileWriteNoPermission: what = "permission denied"
        case .fileWriteOutOfSpace: what = "no space left on the device"
        case .fileWriteVolumeReadOnly: what = "the file system is read-only"
        case .fileReadCorruptFile: what = "cannot be read: its contents are not in the expected format"
        case .fileReadInapplicableStringEncoding: what = "is not UTF-8 text"
        case .fileReadTooLarge: what = "is too large to read"
        case .fileReadUnknown: what = "cannot be read" + (underlying.map { " (\($0))" } ?? "")
        case .fileWriteUnknown: what = "cannot be written" + (underlying.map { " (\($0))" } ?? "")
        case .fileLocking: what = "is locked by another process"
        default: what = underlying ?? "cannot be used (file error \(error.code.rawValue))"
        }
        return path.map { "\($0): \(what)" } ?? what
    }

    static func describe(decoding error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            let key = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return key.isEmpty ? "" : " at \(key.hasPrefix(".") ? String(key.dropFirst()) : key)"
        }
        switch error {
        case let .dataCorrupted(context): return "not valid JSON\(at(context.codingPath)): \(context.debugDescription)"
        case let .keyNotFound(key, context): return "missing key \(key.stringValue)\(at(context.codingPath))"
        case let .typeMismatch(type, context): return "expected \(type)\(at(context.codingPath))"
        case let .valueNotFound(type, context): return "missing \(type)\(at(context.codingPath))"
        @unknown default: return "not valid JSON"
        }
    }
}
