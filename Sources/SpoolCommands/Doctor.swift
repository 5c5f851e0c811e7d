import ArgumentParser
import CArchive
import CSQLite
import Foundation
import SpoolArguments

extension Spoolctl {
    /// `spoolctl doctor`: what Spool finds on this machine, and what to fix.
    public struct Doctor: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Report libtorch, BLAS, threads, CUDA devices, SQLite and libarchive, and what to fix.",
            discussion: """
            The engine part (libtorch, BLAS, threads, CUDA) comes from spool-trainer; the rest from this \
            process. Exits non-zero when something Spool needs is missing or slow (e.g. the reference BLAS \
            instead of OpenBLAS).

            Examples:
              spoolctl doctor
              spoolctl doctor --json
            """)

        @Flag(help: "Print JSON.")
        public var json = false

        public init() {}

        public func run() throws {
            var report: [String: String] = [
                "spool": SpoolVersion.current,
                "sqlite": String(cString: sqlite3_libversion()),
                "libarchive": String(cString: archive_version_details()),
                "cores": String(ProcessInfo.processInfo.activeProcessorCount),
            ]
            var problems: [String] = []
            do {
                let engine = try TrainerProcess.run(["doctor", "--json"])
                if engine.status == 0, let data = engine.output.data(using: .utf8),
                   let fields = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
                    for (k, v) in fields { report[k] = "\(v)" }
                } else {
                    problems.append("the engine (spool-trainer doctor) failed with status \(engine.status)")
                }
            } catch {
                problems.append("\(error)")
            }
            if let blas = report["blas_library"], !blas.lowercased().contains("openblas") {
                problems.append("libtorch uses \(blas), not OpenBLAS: training runs ~30x slower. Run scripts/setup.sh (installs libopenblas0-pthread and selects it).")
            }
            if json {
                var out = report as [String: Any]
                out["problems"] = problems
                let data = try JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for line in Self.lines(report) { print(line) }
                for p in problems { print("problem: \(p)") }
                if problems.isEmpty { print("ok") }
            }
            if !problems.isEmpty { throw ExitCode(1) }
        }

        /// `key   value`, keys sorted, in a column as wide as the longest key (keys are never cut).
        static func lines(_ report: [String: String]) -> [String] {
            let width = report.keys.map(\.count).max() ?? 0
            return report.keys.sorted().map { "\($0.padding(toLength: width, withPad: " ", startingAt: 0))  \(report[$0]!)" }
        }
    }
}
