import ArgumentParser
import Foundation
import SpoolArguments
import SpoolRunner
import SpoolStore

extension Spoolctl {
    /// `spoolctl logs JOB [--trial N] [-n LINES] [--follow]`.
    public struct Logs: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Print a job's log and its trials' logs; --follow keeps printing until the job ends.",
            discussion: """
            The job's log (jobs/<id>/job.log: intake, trials started and ended, the outcome) comes first, then \
            each trial's training log (jobs/<id>/trials/N/train.log: one line per epoch with its losses and \
            metric) and anything the trial printed on standard error, each under a header. With --trial N, \
            only that trial's. With --follow, new lines of every log are printed as they come, trial lines \
            prefixed with their trial, until the job ends. With --json, every line is one JSON object \
            {"log": "job" | "train" | "stderr", "trial": N or null, "line": "..."} (JSON Lines), without headers.

            Examples:
              spoolctl logs 0001 --trial 2 -n 20
              spoolctl logs nightly-cats --follow --json
            """)
        @OptionGroup public var spool: SpoolOptions
        @Argument(help: "The job: its id, a unique end or start of it, or its name.")
        public var job: String
        @Option(help: "Only this trial's logs.")
        public var trial: Int?
        @Option(name: [.customShort("n"), .customLong("lines")], help: "Only the last LINES lines of each log.")
        public var lines: Int?
        @Flag(help: "Keep printing new lines until the job ends.")
        public var follow = false
        @Flag(help: "Print each line as a JSON object (JSON Lines).")
        public var json = false
        public init() {}

        /// One log file and how far it has been printed.
        struct Source {
            var url: URL
            var title: String
            var prefix: String
            /// For --json: which log ("job", "train", "stderr") and whose (a trial's number, or nil).
            var kind: String
            var trial: Int?
            var offset: UInt64 = 0
        }

        public func run() throws {
            let layout = spool.layout
            let store = try JobStore.openForReading(path: layout.database.path)
            guard let found = try store.job(id: job) else {
                throw CommandError("there is no job '\(job)'; `spoolctl status` lists them")
            }
            let trials = layout.job(found.id).appendingPathComponent("trials")
            if let trial, !FileManager.default.fileExists(atPath: trials.appendingPathComponent("\(trial)").path),
               !FileManager.default.fileExists(atPath: trials.appendingPathComponent("\(trial).log").path) {
                throw CommandError("job \(found.id) has no trial \(trial); `spoolctl status \(found.id)` lists its trials")
            }
            var sources = discover(layout: layout, job: found.id, known: [])
            for index in sources.indices {
                printNew(&sources[index], header: !follow || sources.count > 1, tail: lines)
            }
            guard follow else { return }
            while true {
                Thread.sleep(forTimeInterval: 0.5)
                for added in discover(layout: layout, job: found.id, known: sources.map(\.url)) { sources.append(added) }
                for index in sources.indices { printNew(&sources[index], header: false, tail: nil) }
                if let current = try store.job(id: found.id), current.state.isFinal {
                    for index in sources.indices { printNew(&sources[index], header: false, tail: nil) }
                    return
                }
            }
        }

        /// The logs to show: the job's, then each trial's training log and standard error, in trial order.
        func discover(layout: SpoolLayout, job: String, known: [URL]) -> [Source] {
            var found: [Source] = []
            if trial == nil {
                found.append(Source(url: layout.jobLog(job), title: "job \(job) (jobs/\(job)/job.log)", prefix: "",
                                    kind: "job", trial: nil))
            }
            let trials = layout.job(job).appendingPathComponent("trials")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: trials.path)) ?? []
            let numbers = Set(names.compactMap { Int($0.hasSuffix(".log") ? String($0.dropLast(4)) : $0) }).sorted()
            for number in numbers where trial == nil || trial == number {
                let prefix = trial == nil ? "trial \(number) | " : ""
                found.append(Source(url: trials.appendingPathComponent("\(number)/train.log"),
                                    title: "trial \(number) (jobs/\(job)/trials/\(number)/train.log)", prefix: prefix,
                                    kind: "train", trial: number))
                found.append(Source(url: trials.appendingPathComponent("\(number).log"),
                                    title: "trial \(number), standard error (jobs/\(job)/trials/\(number).log)", prefix: prefix,
                                    kind: "stderr", trial: number))
            }
            return found.filter { !known.contains($0.url) }
        }

        /// Prints what the file gained since last time (its last `tail` lines the first time, when given).
        func printNew(_ source: inout Source, header: Bool, tail: Int?) {
            guard let handle = FileHandle(forReadingAtPath: source.url.path) else { return }
            defer { try? handle.close() }
            try? handle.seek(toOffset: source.offset)
            let data = handle.readDataToEndOfFile()
            source.offset += UInt64(data.count)
            guard !data.isEmpty else { return }
            var text = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if text.last == "" { text.removeLast() }
            if let tail { text = Array(text.suffix(max(0, tail))) }
            if json {
                for line in text {
                    try? printJSONLine(["log": source.kind, "trial": source.trial ?? NSNull(), "line": line])
                }
                return
            }
            if header { print("==> \(source.title) <==") }
            for line in text { print(source.prefix + line) }
            if header { print("") }
        }
    }
}
