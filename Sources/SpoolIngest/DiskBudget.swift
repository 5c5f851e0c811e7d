/// Keeps `diskReserveBytes` free on the destination's filesystem while unpacking.
///
/// statvfs is asked at the start, then again every `recheckBytes` written (other writers share the disk) and
/// whenever our own estimate says the reserve is near.
final class DiskBudget {
    static let recheckBytes: Int64 = 64 << 20
    /// What one file or folder costs beyond its data (an inode's block), for the estimate.
    static let entryOverhead: Int64 = 4096

    private let destination: DestinationDirectory
    private let reserve: Int64
    private var available: Int64 = 0
    private var sinceCheck: Int64 = 0

    init(destination: DestinationDirectory, reserve: Int64) throws(ExtractionError) {
        self.destination = destination
        self.reserve = reserve
        available = try destination.availableBytes()
    }

    /// Claims `bytes` about to be written for `entry`, or throws `.diskFull`.
    func claim(_ bytes: Int64, entry: String) throws(ExtractionError) {
        try ensure(bytes, entry: entry)
        sinceCheck += bytes
    }

    /// Throws `.diskFull` unless `bytes` more would keep the reserve free (an entry's claimed size, before it
    /// is written).
    func ensure(_ bytes: Int64, entry: String) throws(ExtractionError) {
        guard sinceCheck >= Self.recheckBytes || available - sinceCheck - bytes < reserve else { return }
        available = try destination.availableBytes()
        sinceCheck = 0
        if available - bytes < reserve {
            throw ExtractionError(
                .diskFull, entry: entry, limit: "diskReserveBytes", value: reserve,
                reason: "Writing entry '\(entry)' (\(ExtractionError.bytes(bytes))) would leave less than "
                    + "\(ExtractionError.bytes(reserve)) free on the destination's filesystem "
                    + "(\(ExtractionError.bytes(max(available, 0))) free). Free some space and drop the bundle again.")
        }
    }
}
