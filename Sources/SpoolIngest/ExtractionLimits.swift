/// The budget of one unpacking, enforced while the data streams (headers can lie: bytes are counted as read).
///
/// The defaults suit image datasets: a bundle of a million JPEGs of a few hundred kilobytes each fits, a
/// decompression bomb does not. Each limit's name is what `ExtractionError.limit` reports when it is hit.
///
/// | limit | default | why |
/// |---|---|---|
/// | `maxTotalBytes` | 20 GiB | all bytes written by one extraction (a bundle and its nested images archive together) |
/// | `maxEntryBytes` | 1 GiB | one file; a bundle's nested `images.tar` is bounded by `maxTotalBytes` instead |
/// | `maxEntries` | 1,000,000 | files and folders, counted from the headers as they are read |
/// | `maxDepth` | 32 | path components of one entry (`a/b/c.jpg` is 3) |
/// | `maxPathLength` | 1024 | UTF-8 bytes of a normalised path (each component is also capped at 255, NAME_MAX) |
/// | `maxCompressionRatio` | 200 | bytes written per byte of the archive file read so far: gzip of JPEGs is ~1:1, text ~1:10, a bomb 1:1000 |
/// | `compressionRatioGraceBytes` | 64 MiB | the ratio is only judged past this many bytes written, so a small archive of blank masks passes |
/// | `diskReserveBytes` | 1 GiB | free space (statvfs) left untouched on the destination's filesystem |
public struct ExtractionLimits: Sendable, Hashable, Codable {
    public static let kibibyte: Int64 = 1 << 10
    public static let mebibyte: Int64 = 1 << 20
    public static let gibibyte: Int64 = 1 << 30

    /// The defaults above.
    public static let `default` = ExtractionLimits()

    public var maxTotalBytes: Int64
    public var maxEntryBytes: Int64
    public var maxEntries: Int
    public var maxDepth: Int
    public var maxPathLength: Int
    public var maxCompressionRatio: Int
    public var compressionRatioGraceBytes: Int64
    public var diskReserveBytes: Int64

    public init(
        maxTotalBytes: Int64 = 20 * gibibyte,
        maxEntryBytes: Int64 = 1 * gibibyte,
        maxEntries: Int = 1_000_000,
        maxDepth: Int = 32,
        maxPathLength: Int = 1024,
        maxCompressionRatio: Int = 200,
        compressionRatioGraceBytes: Int64 = 64 * mebibyte,
        diskReserveBytes: Int64 = 1 * gibibyte
    ) {
        self.maxTotalBytes = maxTotalBytes
        self.maxEntryBytes = maxEntryBytes
        self.maxEntries = maxEntries
        self.maxDepth = maxDepth
        self.maxPathLength = maxPathLength
        self.maxCompressionRatio = maxCompressionRatio
        self.compressionRatioGraceBytes = compressionRatioGraceBytes
        self.diskReserveBytes = diskReserveBytes
    }

    /// The longest single path component Linux accepts (NAME_MAX).
    public static let maxComponentLength = 255

    /// Decodes the limits a settings file names; the others keep their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ExtractionLimits()
        maxTotalBytes = try c.decodeIfPresent(Int64.self, forKey: .maxTotalBytes) ?? d.maxTotalBytes
        maxEntryBytes = try c.decodeIfPresent(Int64.self, forKey: .maxEntryBytes) ?? d.maxEntryBytes
        maxEntries = try c.decodeIfPresent(Int.self, forKey: .maxEntries) ?? d.maxEntries
        maxDepth = try c.decodeIfPresent(Int.self, forKey: .maxDepth) ?? d.maxDepth
        maxPathLength = try c.decodeIfPresent(Int.self, forKey: .maxPathLength) ?? d.maxPathLength
        maxCompressionRatio = try c.decodeIfPresent(Int.self, forKey: .maxCompressionRatio) ?? d.maxCompressionRatio
        compressionRatioGraceBytes =
            try c.decodeIfPresent(Int64.self, forKey: .compressionRatioGraceBytes) ?? d.compressionRatioGraceBytes
        diskReserveBytes = try c.decodeIfPresent(Int64.self, forKey: .diskReserveBytes) ?? d.diskReserveBytes
    }
}
