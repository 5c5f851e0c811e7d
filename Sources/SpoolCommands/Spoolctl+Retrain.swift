import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolRunner
import SpoolStore

extension Spoolctl {
    /// `spoolctl retrain JOB`: the best configuration of an earlier job, on new data, compared with the model in use.
    public struct Retrain: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Rerun an earlier job's best configuration on new data; promote the new model only if it is better.",
            discussion: """
            The new job takes the earlier job's settings with its best trial's hyperparameters fixed (one trial, \
            no sweep), and the data of --data (a bundle folder, or a folder with the JSONL and images; its own \
            settings file, if any, is replaced), else the earlier job's own bundle. With --warm-start it starts \
            from the model in use (outbox/LINE/latest, else the earlier job's model). When it completes, the model \
            in use is scored on the new validation set; outbox/LINE/latest moves to the new model only when the new \
            one is better (or with --force-promote). The comparison is in the new job's comparison.json, job.json \
            and status. LINE is the earlier job's schedule, or its name.

            Examples:
              spoolctl retrain j-20261129-0001 --data /data/fridge-december --warm-start
              spoolctl retrain 0001 --force-promote
            """)
        @OptionGroup public var spool: SpoolOptions
        @Argument(help: "The earlier job (an id or a unique prefix).") public var job: String
        @Option(help: "The new data: a bundle folder or a folder with train.jsonl and its images.") public var data: String?
        @Flag(name: .customLong("warm-start"), help: "Start from the model in use instead of from scratch.") public var warmStart = false
        @Flag(name: .customLong("force-promote"), help: "Move outbox/LINE/latest to the new model even if it is not better.")
        public var forcePromote = false
        public init() {}

        public func run() throws {
            let layout = spool.layout
            let store = try openStore(layout)
            guard let earlier = try store.job(id: job) else {
                throw CommandError("there is no job '\(job)'; `spoolctl status` lists them")
            }
            guard earlier.state == .completed || earlier.state == .timeout, let outbox = earlier.outboxPath else {
                throw CommandError("job \(earlier.id) is \(earlier.state.rawValue): only a job that produced a model can be retrained")
            }
            let bundle = layout.bundle(earlier.id).resolvingSymlinksInPath()
            guard let settingsFile = JobBundle.settingsNames.map({ bundle.appendingPathComponent($0) })
                .first(where: { FileManager.default.fileExists(atPath: $0.path) })
            else {
                throw CommandError("job \(earlier.id): its bundle has no settings file any more (\(bundle.path))")
            }
            let best = Trial.best(of: try store.trials(jobID: earlier.id))
            let values = best.flatMap { try? JSONDecoder().decode([String: SettingValue].self, from: Data($0.hyperparametersJSON.utf8)) } ?? [:]
            let settings = try RetrainSettings.make(from: String(contentsOf: settingsFile, encoding: .utf8), best: values)

            let earlierOrigin = JobOrigin.read(in: bundle)
            let lineage = earlierOrigin?.lineage ?? earlier.name
            let fm = FileManager.default
            let source = data.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? bundle
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CommandError("--data \(source.path): not a folder; give a bundle folder (train.jsonl and images)")
            }
            try layout.create()
            let dropName = "\(earlier.name)-retrain-\(Int(Date().timeIntervalSince1970))"
            let staging = layout.tmp.appendingPathComponent(dropName)
            try fm.copyItem(at: source, to: staging)
            for name in JobBundle.settingsNames + [JobOrigin.fileName] { try? fm.removeItem(at: staging.appendingPathComponent(name)) }
            try settings.write(to: staging.appendingPathComponent("settings.json"))
            let latest = layout.latest(lineage)
            let inUse = fm.fileExists(atPath: latest.appendingPathComponent("model.json").path)
                ? latest.resolvingSymlinksInPath().path : outbox + "/model"
            try JobOrigin(name: earlier.name, lineage: lineage, warmStartFrom: warmStart ? inUse : nil, retrainOf: earlier.id,
                          promote: forcePromote ? "always" : "better",
                          note: "retrain of \(earlier.id)" + (data.map { " on \($0)" } ?? "") + (warmStart ? ", warm start from \(inUse)" : ""))
                .write(in: staging)
            // The model the earlier job made is the line's model in use until a retrain beats it.
            if !inUse.hasPrefix(latest.path), !fm.fileExists(atPath: latest.path) {
                try fm.createDirectory(at: latest.deletingLastPathComponent(), withIntermediateDirectories: true)
                try fm.createSymbolicLink(atPath: latest.path, withDestinationPath: "../\(earlier.id)/model")
            }
            try fm.moveItem(at: staging, to: layout.incoming.appendingPathComponent(dropName))
            print("retrain of \(earlier.id) dropped as \(dropName) (best configuration: \(values.isEmpty ? "the settings' own" : values.keys.sorted().map { "\($0)=\(values[$0]!.stringValue ?? values[$0]!.description)" }.joined(separator: " "))); the daemon trains it, or run `spoolctl serve --once`")
        }
    }
}
