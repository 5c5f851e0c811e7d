import ArgumentParser
import Foundation
import SpoolArguments
import SpoolIngest

extension Spoolctl {
    /// `spoolctl unpack`: the spool's safe unpacking, on its own.
    public struct Unpack: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Unpack an archive safely, with the spool's rules and limits, into a new folder.",
            discussion: """
            Only regular files and folders; no links, devices, FIFOs, absolute paths or `..`; no setuid bits or \
            ownership; total size, entry size, entries, depth, compression ratio and free disk limited while \
            streaming. Prints what it unpacked, or why it refused (and leaves nothing behind).

            Example:
              spoolctl unpack bundle.tar.zst --into /tmp/bundle
            """)
        @Argument(help: "A .tar, .tar.gz, .tar.zst or .zip archive.")
        public var archive: String
        @Option(help: "The folder to create and unpack into.")
        public var into: String
        @Flag(help: "Replace --into if it exists.")
        public var force = false
        public init() {}

        public func run() throws {
            try OutputPath.claimFolder(into, force: force)
            let started = Date()
            do {
                let report = try ArchiveExtractor().extract(archive: URL(fileURLWithPath: archive),
                                                            into: URL(fileURLWithPath: into), limits: ExtractionLimits())
                let seconds = Date().timeIntervalSince(started)
                print("\(report.files) files, \(report.directories) folders, \(report.bytes) bytes in \(String(format: "%.3f", seconds)) s")
            } catch {
                throw CommandError("\(archive): \(error)")
            }
        }
    }
}
