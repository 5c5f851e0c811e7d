import ArgumentParser
import Foundation
import SpoolIngest
import SpoolRunner

extension Spoolctl {
    /// `spoolctl validate BUNDLE`: the checks a drop goes through, without queueing.
    public struct Validate: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Check a bundle (folder or archive) as the spool would, without queueing it.",
            discussion: """
            Unpacks an archive safely into a temporary folder, then checks the settings (task, limits,
            training parameters), the JSONL, that there are at least 10 images, and that every image exists
            and decodes. Prints every problem at once; exits 1 when there is any.
            """)
        @Argument(help: "A bundle folder or archive (.tar, .tar.gz, .tar.zst, .zip).")
        public var bundle: String
        @Flag(help: "Print JSON.")
        public var json = false
        public init() {}

        public func run() throws {
            let url = URL(fileURLWithPath: bundle)
            var root = url
            var scratch: URL?
            defer { if let scratch { try? FileManager.default.removeItem(at: scratch) } }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
                throw CommandError("\(bundle): no such file or folder")
            }
            if !isDir.boolValue {
                let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("spool-validate-\(UUID().uuidString)")
                scratch = tmp
                do {
                    root = try ArchiveExtractor().extractBundle(at: url, into: tmp, limits: ExtractionLimits())
                } catch {
                    throw CommandError("\(bundle): \(error)")
                }
            }
            let report = BundleValidator(trainer: try? TrainerProcess.executableURL()).validate(bundleRoot: root)
            if json {
                let data = try JSONSerialization.data(withJSONObject: ["valid": report.isValid, "problems": report.problems,
                                                                       "warnings": report.warnings], options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for w in report.warnings { print("warning: \(w)") }
                for p in report.problems { print(p) }
                print(report.isValid ? "\(bundle): valid" : "\(bundle): \(report.problems.count) problem(s)")
            }
            if !report.isValid { throw ExitCode(1) }
        }
    }
}
