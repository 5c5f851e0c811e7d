import ArgumentParser
import Foundation
import SpoolCore
import SpoolRunner

extension Spoolctl {
    /// `spoolctl validate BUNDLE`: the checks a drop goes through, without queueing, and what training will do.
    public struct Validate: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Check a bundle (folder or archive) as the spool would, without queueing it.",
            discussion: """
            Unpacks an archive safely into a temporary folder, then checks the settings (task, limits, \
            training parameters), the JSONL, the labels, that there are at least 10 images, that every image \
            exists and decodes, and that the starting weights fit the model. Prints every problem at once and \
            exits 1 when there is any; for a valid bundle, prints what training will do: the classes and their \
            counts, the split, the model and its weights, the epochs and a rough time per epoch measured on \
            this machine.

            Examples:
              spoolctl validate examples/shapes
              spoolctl validate bundle.zip --json --no-estimate
            """)
        @Argument(help: "A bundle folder or archive (.tar, .tar.gz, .tar.zst, .zip).")
        public var bundle: String
        @OptionGroup public var spool: SpoolOptions
        @Flag(help: "Print JSON: valid, problems, warnings and the summary.")
        public var json = false
        @Flag(name: .customLong("no-estimate"), help: "Skip timing a training step (faster).")
        public var noEstimate = false
        public init() {}

        public func run() throws {
            let report = try BundleCheck.run(bundle, estimate: !noEstimate, weightsDirectories: [spool.layout.weights.path])
            let summary = report.isValid ? report.summary : nil
            if json {
                struct Output: Encodable {
                    var valid: Bool
                    var problems: [String]
                    var warnings: [String]
                    var summary: BundleSummary?
                }
                try printJSON(Output(valid: report.isValid, problems: report.problems, warnings: report.warnings, summary: summary))
            } else {
                for w in report.warnings { print("warning: \(w)") }
                for p in report.problems { print(p) }
                if let summary {
                    print("\(bundle): valid")
                    summary.lines.forEach { print("  " + $0) }
                } else {
                    print("\(bundle): \(report.problems.count) problem(s)")
                }
            }
            if !report.isValid { throw ExitCode(1) }
        }
    }
}
