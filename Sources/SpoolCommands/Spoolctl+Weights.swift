import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore

extension Spoolctl {
    /// `spoolctl weights list|pull`: the reference weight files of every model, in the spool's weights folder.
    public struct Weights: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "weights",
            abstract: "List and fetch the reference weight files models start from (ImageNet, COCO).",
            discussion: """
                Trials look for a model's weights in the spool's weights/ folder (and in every `serve \
                --weights-dir`); without them a model trains from scratch, which needs far more data and time. \
                `weights list` shows each model's reference file and whether it is here; `weights pull NAME` \
                fetches it from its official place, or from a mirror (`--from https://mirror/base` holding the \
                same file names, or `--from /some/folder`), checks its SHA-256 and keeps it.

                Examples:
                  spoolctl weights list
                  spoolctl weights pull resnet18 fasterrcnn_resnet50_fpn yolov5s
                  spoolctl weights pull resnet50 --from https://mirror.example/weights
                """,
            subcommands: [List.self, Pull.self])
        public init() {}
    }
}

/// Where the weights go, and (hidden) a catalogue of one's own in place of the built-in one.
public struct WeightsLocation: ParsableArguments {
    @OptionGroup public var spool: SpoolOptions
    @Option(name: .customLong("weights-dir"), help: "The weights folder (default: the spool's weights/).")
    public var directory: String?
    @Option(name: .customLong("catalog"), help: ArgumentHelp(
        "A JSON file {\"MODEL\": [{\"file\", \"url\", \"sha256\"}]} replacing the built-in reference files (an internal catalogue).",
        visibility: .hidden))
    public var catalog: String?
    public init() {}

    var folder: WeightsFolder {
        directory.map { WeightsFolder(URL(fileURLWithPath: $0)) } ?? WeightsFolder(spool.layout.weights)
    }

    /// The models and their files: the built-in catalogue, or `--catalog`'s.
    func entries() throws -> [ModelCatalog.Entry] {
        let available = ModelCatalog.entries.filter(\.available)
        guard let catalog else { return available }
        struct File: Decodable { var file: String; var url: String; var sha256: String? }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: catalog)) } catch {
            throw CommandError("--catalog \(catalog): \(ErrorText.describe(error))")
        }
        guard let table = try? JSONDecoder().decode([String: [File]].self, from: data) else {
            throw CommandError("--catalog \(catalog): expected {\"MODEL\": [{\"file\": ..., \"url\": ..., \"sha256\": ...}]}")
        }
        return try table.keys.sorted().map { name in
            guard let model = ModelName(settingsValue: name), var entry = available.first(where: { $0.name == model }) else {
                throw CommandError("--catalog \(catalog): \(name) is not a model this Spool builds")
            }
            entry.weights = table[name]!.map {
                ModelCatalog.Weights(fileName: $0.file, url: $0.url, sha256: $0.sha256, dataset: "custom", wholeModel: true)
            }
            return entry
        }
    }
}

extension Spoolctl.Weights {
    public struct List: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Every model's reference weight files, and whether each is in the weights folder.",
            discussion: """
            Examples:
              spoolctl weights list
              spoolctl weights list --weights-dir /srv/weights --json
            """)
        @OptionGroup public var location: WeightsLocation
        @Flag(help: "Print JSON.")
        public var json = false
        public init() {}

        public func run() throws {
            let folder = location.folder
            let rows = folder.listing(models: try location.entries())
            if json {
                let encoder = ContractCoding.encoder()
                print(String(decoding: try encoder.encode(rows), as: UTF8.self))
                return
            }
            print("weights folder: \(folder.url.path)")
            var table = [["MODEL", "FILE", "TRAINED ON", "", "STATUS"]]
            for row in rows {
                table.append([row.model, row.file, row.dataset, row.wholeModel ? "model" : "backbone",
                              row.present ? "present (\(Self.size(row.bytes ?? 0)))" : "absent"])
            }
            let widths = (0..<5).map { c in table.map { $0[c].count }.max() ?? 0 }
            for line in table {
                print(zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces))
            }
            let missing = Set(rows.filter { !$0.present }.map(\.model))
            if !missing.isEmpty { print("\nFetch one with: spoolctl weights pull MODEL (e.g. \(missing.sorted().first!))") }
        }

        static func size(_ bytes: Int64) -> String {
            ByteCountFormatter.string(fromByteCount: bytes, countStyle: .binary)
        }
    }

    public struct Pull: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Fetch models' reference weight files, check their SHA-256 and keep them in the weights folder.",
            discussion: """
            Each file comes from its official place, or from --from: a base URL holding the same file names, or \
            a local folder. An interrupted download resumes.

            Examples:
              spoolctl weights pull resnet18 yolov5s
              spoolctl weights pull fasterrcnn_resnet50_fpn --all --from /mnt/usb/weights
            """)
        @Argument(help: "Model names (spoolctl weights list shows them).")
        public var models: [String]
        @Option(help: "A mirror: a base URL holding the official file names, or a local folder.")
        public var from: String?
        @Flag(help: "Every file of the model (a detector's COCO weights and its ImageNet backbone), not only the first.")
        public var all = false
        @Flag(help: "Download a file again even if it is already in the folder.")
        public var force = false
        @OptionGroup public var location: WeightsLocation
        public init() {}

        public func validate() throws {
            if models.isEmpty { throw ValidationError("name at least one model (spoolctl weights list shows them)") }
        }

        public func run() throws {
            let entries = try location.entries()
            var chosen: [(String, ModelCatalog.Weights)] = []
            for name in models {
                // A size of a family with sizes by its engine model's name (yolov5s ... yolov5x); the family's name
                // alone is its default size (yolov5: medium).
                let sized = ModelCatalog.engineModel(named: name).flatMap { found in
                    found.model.catalogEntry.engineModels.count > 1 ? found : nil
                }
                guard let model = sized?.model ?? ModelName(settingsValue: name),
                      let entry = entries.first(where: { $0.name == model }) else {
                    let known = entries.map { $0.engineModels.count > 1 ? "\($0.name.rawValue), \($0.engineModels.first!) ... \($0.engineModels.last!)" : $0.name.rawValue }
                    throw CommandError("\(name): not a model with reference weights; one of \(known.joined(separator: ", "))")
                }
                guard !entry.weights.isEmpty else { throw CommandError("\(name): the catalogue lists no reference file for it") }
                var files = all ? entry.weights : [entry.weights[0]]
                if let sized {
                    let stem = sized.parameters.engineModelName
                    files = entry.weights.filter { ($0.fileName as NSString).deletingPathExtension == stem }
                }
                for w in files where !chosen.contains(where: { $0.1.fileName == w.fileName }) {
                    chosen.append((name, w))
                }
            }
            var downloader = WeightsDownloader(folder: location.folder, source: .init(from))
            let tty = isatty(STDERR_FILENO) != 0
            var failures: [String] = []
            for (model, weights) in chosen {
                let present = location.folder.location(of: weights)
                if FileManager.default.fileExists(atPath: present.path), !force {
                    print("\(model): \(weights.fileName) is already in \(location.folder.url.path) (--force downloads it again)")
                    continue
                }
                var lastShown = -1
                downloader.progress = { got, total in
                    let percent = total.map { Int(100 * Double(got) / Double(max(1, $0))) } ?? -1
                    let step = tty ? percent : percent / 25 * 25
                    guard step != lastShown else { return }
                    lastShown = step
                    let amount = List.size(got) + (total.map { " of \(List.size($0))" } ?? "")
                    let text = "\(weights.fileName): \(amount)\(percent >= 0 ? " (\(percent)%)" : "")"
                    FileHandle.standardError.write(Data((tty ? "\r\(text)" : "\(text)\n").utf8))
                }
                do {
                    let outcome = try downloader.fetch(weights)
                    if tty { FileHandle.standardError.write(Data("\n".utf8)) }
                    let check = weights.sha256.map { "SHA-256 \($0)\($0.count < 64 ? "…" : "") checked" }
                        ?? "no published hash; SHA-256 \(outcome.sha256)"
                    print("\(model): \(outcome.file.path) (\(List.size(outcome.bytes)); \(check)"
                        + (outcome.resumed ? "; resumed an interrupted download" : "") + ")")
                } catch {
                    if tty { FileHandle.standardError.write(Data("\n".utf8)) }
                    failures.append("\(model): \((error as? WeightsDownloader.Failure)?.description ?? ErrorText.describe(error))")
                }
            }
            if !failures.isEmpty { throw CommandError(failures.joined(separator: "\n")) }
        }
    }
}
