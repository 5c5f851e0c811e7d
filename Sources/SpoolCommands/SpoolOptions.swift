import ArgumentParser
import Foundation
import SpoolRunner

/// `--spool DIR`, shared by every spool command.
public struct SpoolOptions: ParsableArguments {
    @Option(name: .customLong("spool"), help: "The spool folder (default: $SPOOL_ROOT, else ./spool).")
    public var root: String?

    public init() {}

    public var layout: SpoolLayout { SpoolLayout.resolve(option: root) }
}
