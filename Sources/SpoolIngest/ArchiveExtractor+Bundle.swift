import Foundation

extension ArchiveExtractor {
    /// A bundle's nested images archive, looked for at the bundle root in this order (spec section 2).
    public static let imagesArchiveNames = ["images.tar", "images.tar.gz", "images.tgz", "images.tar.zst", "images.zip"]

    /// Top-level names that do not count when looking for a bundle's single top folder: macOS Finder's
    /// `__MACOSX` and hidden files such as `.DS_Store`.
    static func isIgnoredAtTop(_ name: String) -> Bool { name == "__MACOSX" || name.hasPrefix(".") }

    /// Unpacks a bundle archive into `destination` (absent, or an empty folder), then its nested images archive
    /// into `images/`, and returns the bundle root.
    ///
    /// The bundle root is `destination`, or its only top folder when the archive has one (e.g. `bundle/` from
    /// `tar -czf bundle.tar.gz bundle`; `__MACOSX` and hidden names aside, and unless that folder is `images`).
    /// If the root holds one of `imagesArchiveNames`, it is unpacked into `images/` under the same limits, the
    /// totals (bytes and entries) counting both archives, and then removed. The nested archive, a single file of
    /// the bundle, is held to `maxTotalBytes`, not `maxEntryBytes`. On any rejection nothing stays, as with
    /// `extract`.
    public func extractBundle(
        at archive: URL, into destination: URL, limits: ExtractionLimits = .default
    ) throws(ExtractionError) -> URL {
        try UTF8Locale.run { () throws(ExtractionError) -> URL in
            let root = try DestinationDirectory(creatingOrOpening: destination)
            do throws(ExtractionError) {
                var tally = Tally()
                let disk = try DiskBudget(destination: root, reserve: limits.diskReserveBytes)
                do {
                    let reader = try ArchiveReader(url: archive)
                    _ = try Self.unpack(reader, into: root, limits: limits, tally: &tally, disk: disk) { path in
                        path.components.count <= 2 && Self.imagesArchiveNames.contains(path.components.last!)
                            ? limits.maxTotalBytes : nil
                    }
                }
                let top = Self.bundleTop(in: root)
                if let name = try Self.imagesArchive(in: root, top: top) {
                    _ = try Self.unpackImages(name, in: root, top: top, limits: limits, tally: &tally, disk: disk)
                    try root.removeFile(top + [name], entry: name)
                }
                root.close()
                return top.reduce(destination) { $0.appendingPathComponent($1, isDirectory: true) }
            } catch {
                root.rollBack()
                throw error
            }
        }
    }

    /// Unpacks the images archive of a bundle that is already a folder (dropped as one) into its `images/`,
    /// and removes the archive when `removeArchive`. Nil when the folder holds no images archive.
    ///
    /// On a rejection only `images/` is removed; the folder's other files are never touched.
    public func extractNestedImages(
        inBundleAt bundleRoot: URL, limits: ExtractionLimits = .default, removeArchive: Bool = true
    ) throws(ExtractionError) -> ExtractionReport? {
        try UTF8Locale.run { () throws(ExtractionError) -> ExtractionReport? in
            let root = try DestinationDirectory(existing: bundleRoot)
            defer { root.close() }
            guard let name = try Self.imagesArchive(in: root, top: []) else { return nil }
            var tally = Tally()
            let disk = try DiskBudget(destination: root, reserve: limits.diskReserveBytes)
            let report = try Self.unpackImages(name, in: root, top: [], limits: limits, tally: &tally, disk: disk)
            if removeArchive { try root.removeFile([name], entry: name) }
            return report
        }
    }

    /// `[folder]` when the unpacked bundle has a single top folder (not `images`), else `[]`.
    static func bundleTop(in root: DestinationDirectory) -> [String] {
        let names = root.names([]).filter { !isIgnoredAtTop($0) }
        guard names.count == 1, let only = names.first, only != "images", root.kind([only]) == .directory else {
            return []
        }
        return [only]
    }

    /// The name of the images archive at the bundle root `top`, if any; more than one is ambiguous.
    static func imagesArchive(in root: DestinationDirectory, top: [String]) throws(ExtractionError) -> String? {
        let found = imagesArchiveNames.filter { root.kind(top + [$0]) == .file }
        if found.count > 1 {
            throw ExtractionError(
                .ambiguousImages, entry: found.joined(separator: ", "),
                reason: "The bundle holds \(found.count) images archives (\(found.joined(separator: ", "))); keep one.")
        }
        return found.first
    }

    /// Unpacks `top/name` into a fresh `top/images/`; on failure removes `images/` and says which archive.
    static func unpackImages(
        _ name: String, in root: DestinationDirectory, top: [String], limits: ExtractionLimits,
        tally: inout Tally, disk: DiskBudget
    ) throws(ExtractionError) -> ExtractionReport {
        let start = ContinuousClock.now
        let images = try DestinationDirectory(freshChildOf: root, top + ["images"], entry: name)
        do {
            let fd = try root.openForReading(top + [name], entry: name)
            let reader = try ArchiveReader(fd: fd, name: name)
            var report = try unpack(reader, into: images, limits: limits, tally: &tally, disk: disk)
            report.seconds = seconds(since: start)
            images.close()
            return report
        } catch {
            images.rollBack()
            var error = error
            error.reason = "In \(name): \(error.reason)"
            throw error
        }
    }
}
