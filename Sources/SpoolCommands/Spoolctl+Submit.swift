import ArgumentParser
import Foundation
import SpoolRunner

extension Spoolctl {
    /// `spoolctl submit BUNDLE [--wait]`: the safe way to drop a bundle.
    public struct Submit: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Drop a bundle into the spool safely (copy into tmp/, then rename into incoming/).",
            discussion: """
            With --wait, follows the job until it ends and exits with its state, for cron:
              0 COMPLETED, 10 FAILED, 11 TIMEOUT, 12 CANCELLED, 13 OUT_OF_MEMORY,
              14 REJECTED (the bundle is in failed/ with NAME.error.json), 15 DUPLICATE (already trained).
            A daemon (`spoolctl serve`) must be running, or run `spoolctl serve --once` yourself.
            """)
        @OptionGroup public var spool: SpoolOptions
        @Argument(help: "A bundle folder or archive.")
        public var bundle: String
        @Flag(help: "Wait for the job to end; exit with its state.")
        public var wait = false
        @Option(help: "With --wait: give up after this many seconds (exit 1).")
        public var timeout: Double?
        public init() {}

        public func run() throws {
            let layout = spool.layout
            try layout.create()
            let source = URL(fileURLWithPath: bundle)
            guard FileManager.default.fileExists(atPath: source.path) else {
                throw CommandError("\(bundle): no such file or folder")
            }
            let dropped = try Dropper(layout: layout).drop(source)
            print("submitted \(dropped.lastPathComponent) to \(layout.incoming.path)")
            guard wait else { return }
            let code = try Follower(layout: layout).waitForOutcome(of: dropped.lastPathComponent, sha256: Dropper.sha256(of: dropped),
                                                                   timeout: timeout)
            throw ExitCode(code)
        }
    }
}
