import ArgumentParser
import Foundation
import SpoolRunner

extension Spoolctl {
    /// `spoolctl init`: creates the spool's folders (serve does this too).
    public struct Init: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Create a spool: incoming/, tmp/, processing/, jobs/, outbox/, failed/ and the database.",
            discussion: """
            The root is --spool, else $SPOOL_ROOT, else ./spool. Producers write into tmp/ and rename into \
            incoming/ (the same filesystem, so the rename is atomic); `spoolctl submit` does that for you.

            Examples:
              spoolctl init
              spoolctl init --spool /var/lib/spool
            """)
        @OptionGroup public var spool: SpoolOptions
        public init() {}
        public func run() throws {
            let layout = spool.layout
            try layout.create()
            _ = try openStore(layout)
            print("spool ready at \(layout.root.path)")
        }
    }
}
