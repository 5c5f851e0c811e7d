import Foundation

/// Why an archive was rejected: what was wrong, which entry, which limit, and what to do.
///
/// Nothing of a rejected archive stays on disk. The spool writes it as `NAME.error.json`:
/// `{"reason": "...", "code": "pathTraversal", "entry": "../evil", "limit": null, "value": null}`; every key is
/// always present, `null` when it does not apply. `limit` is the `ExtractionLimits` property that was hit and
/// `value` its configured value.
public struct ExtractionError: Error, Sendable, Hashable, Codable, CustomStringConvertible, LocalizedError {
    /// The closed set of reasons, stable strings for machines (`NAME.error.json`'s `code`).
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// An entry's path has a `..` component.
        case pathTraversal
        /// An entry's path starts with `/`.
        case absolutePath
        /// An entry's name is empty, `.`, or not valid UTF-8.
        case invalidName
        /// A path is longer than `maxPathLength`, or one of its components longer than 255 bytes.
        case pathTooLong
        /// A path has more than `maxDepth` components.
        case tooDeep
        /// A symbolic or hard link (links are never extracted).
        case link
        /// A character or block device, FIFO, socket or unknown entry type.
        case specialFile
        /// An entry would overwrite a file or folder that is already there (a duplicate entry, a file where a
        /// folder is, or an `images/` folder beside an `images.tar`).
        case alreadyExists
        /// More than `maxEntries` entries.
        case tooManyEntries
        /// More than `maxTotalBytes` written in all.
        case tooLarge
        /// One entry larger than `maxEntryBytes`.
        case entryTooLarge
        /// More than `maxCompressionRatio` bytes written per byte of archive read.
        case compressionRatio
        /// The destination's filesystem would keep less than `diskReserveBytes` free.
        case diskFull
        /// The archive is damaged or truncated.
        case corrupt
        /// Not a tar (plain, gzip, bzip2, xz or zstd) or zip archive.
        case unsupportedFormat
        /// An encrypted entry (no passphrase is ever asked for).
        case encrypted
        /// The destination exists and is not an empty folder.
        case destinationNotEmpty
        /// A bundle holds more than one images archive.
        case ambiguousImages
        /// A system call failed on the destination (permissions, I/O error).
        case io
    }

    public var code: Code
    /// The entry's name as the archive spells it (before normalisation), when one entry is at fault.
    public var entry: String?
    /// The `ExtractionLimits` property that was exceeded, when a limit was.
    public var limit: String?
    /// That limit's configured value.
    public var value: Int64?
    /// A sentence for a person: what was wrong and what to do.
    public var reason: String

    public init(_ code: Code, entry: String? = nil, limit: String? = nil, value: Int64? = nil, reason: String) {
        self.code = code
        self.entry = entry
        self.limit = limit
        self.value = value
        self.reason = reason
    }

    /// The sentence alone: the code is for machines (`NAME.error.json`), not for the person reading.
    public var description: String { reason }
    public var errorDescription: String? { description }

    enum CodingKeys: String, CodingKey {
        case reason, code, entry, limit, value
    }

    /// Writes every key, `null` where it does not apply, so readers of `NAME.error.json` see one shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reason, forKey: .reason)
        try c.encode(code, forKey: .code)
        try c.encode(entry, forKey: .entry)
        try c.encode(limit, forKey: .limit)
        try c.encode(value, forKey: .value)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reason = try c.decode(String.self, forKey: .reason)
        code = try c.decode(Code.self, forKey: .code)
        entry = try c.decodeIfPresent(String.self, forKey: .entry)
        limit = try c.decodeIfPresent(String.self, forKey: .limit)
        value = try c.decodeIfPresent(Int64.self, forKey: .value)
    }

    /// The error as `NAME.error.json` holds it (sorted keys, so the file is stable).
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Encoding strings and integers cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }
}

extension ExtractionError {
    /// `1073741824` as `1 GiB`, for messages.
    static func bytes(_ n: Int64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n), unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(n) bytes" }
        return value == value.rounded() ? "\(Int(value)) \(units[unit])" : String(format: "%.1f", value) + " " + units[unit]
    }
}
