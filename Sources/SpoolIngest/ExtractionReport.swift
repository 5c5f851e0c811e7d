/// What one extraction wrote.
public struct ExtractionReport: Sendable, Hashable, Codable {
    /// Regular files written.
    public var files: Int
    /// Folders created (named in the archive or implied by a file's path).
    public var directories: Int
    /// Bytes of file data written (counted as read, not as the headers claim).
    public var bytes: Int64
    /// Wall-clock seconds, from opening the archive to closing the last file.
    public var seconds: Double
    /// Bytes of the archive file read.
    public var archiveBytes: Int64
    /// libarchive's name of the format and its compression, e.g. "POSIX pax interchange format (gzip)".
    public var format: String
    /// libarchive's warnings (e.g. a name it could not convert), at most `maxWarnings` of them.
    public var warnings: [String]

    public static let maxWarnings = 100

    public init(
        files: Int = 0, directories: Int = 0, bytes: Int64 = 0, seconds: Double = 0, archiveBytes: Int64 = 0,
        format: String = "", warnings: [String] = []
    ) {
        self.files = files
        self.directories = directories
        self.bytes = bytes
        self.seconds = seconds
        self.archiveBytes = archiveBytes
        self.format = format
        self.warnings = warnings
    }
}
