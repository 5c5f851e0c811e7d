import Foundation

/// A folder of reference weight files (`spool/weights` by default, `--weights-dir`, `SPOOL_WEIGHTS_DIR`): the
/// official files under their official names (`resnet18-f37072fd.pth`), or a model's file under Spool's or the
/// reference's name (`resnet18.safetensors`, `vit_b_16.pth`). Every name comes from `ModelCatalog`.
public struct WeightsFolder: Sendable, Equatable {
    public var url: URL

    public init(_ url: URL) {
        self.url = url
    }

    /// The folder a spool keeps its weights in.
    public static func spoolDefault(_ spoolRoot: URL) -> WeightsFolder {
        WeightsFolder(spoolRoot.appendingPathComponent("weights", isDirectory: true))
    }

    /// The folders a trainer searches, in order: those given, then `SPOOL_WEIGHTS_DIR`.
    public static func searchPath(_ given: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> [WeightsFolder] {
        var folders = given.map { WeightsFolder(URL(fileURLWithPath: $0)) }
        if let env = environment["SPOOL_WEIGHTS_DIR"], !env.isEmpty { folders.append(WeightsFolder(URL(fileURLWithPath: env))) }
        return folders
    }

    /// The names under which this folder may hold `model`'s weights, in order of preference: the catalogue's
    /// official files (whole model first, then backbone), then Spool's and the reference's names.
    public static func fileNames(for model: ModelName) -> [String] {
        let entry = model.catalogEntry
        var names = entry.weights.map(\.fileName)
        for stem in [model.rawValue, entry.architecture] {
            for ext in ["safetensors", "pth"] where !names.contains("\(stem).\(ext)") { names.append("\(stem).\(ext)") }
        }
        return names
    }

    /// The first file of `model` present here, if any: a name of `fileNames(for:)`, else an official file of
    /// another release (`resnet50-11ad3fa6.pth`: the reference's name, a dash and a hash prefix).
    public func file(for model: ModelName) -> URL? {
        let fm = FileManager.default
        if let known = Self.fileNames(for: model).lazy.map({ url.appendingPathComponent($0) }).first(where: { fm.fileExists(atPath: $0.path) }) {
            return known
        }
        let stem = model.catalogEntry.architecture + "-"
        let other = ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).filter { name in
            name.hasPrefix(stem) && [".pth", ".pt", ".safetensors"].contains { name.hasSuffix($0) }
        }.sorted().first
        return other.map { url.appendingPathComponent($0) }
    }

    /// The first file here for a run's model: for a family with sizes, its size's (yolov5's model_size:
    /// `yolov5s.pt`, `yolov5s.safetensors`); else as `file(for:)`.
    public func file(for parameters: TrainingParameters) -> URL? {
        guard parameters.modelName.catalogEntry.engineModels.count > 1 else { return file(for: parameters.modelName) }
        let stem = parameters.engineModelName
        return ["pt", "safetensors", "pth"].lazy.map { self.url.appendingPathComponent("\(stem).\($0)") }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Where a catalogue file is (or will be) kept.
    public func location(of weights: ModelCatalog.Weights) -> URL {
        url.appendingPathComponent(weights.fileName)
    }

    /// Each reference file of every model, and whether it is here.
    public struct Listing: Sendable, Codable, Equatable {
        public var model: String
        public var tasks: String
        public var file: String
        public var dataset: String
        public var wholeModel: Bool
        public var url: String
        public var sha256: String?
        public var present: Bool
        public var bytes: Int64?

        enum CodingKeys: String, CodingKey {
            case model, tasks, file, dataset, wholeModel = "whole_model", url, sha256, present, bytes
        }
    }

    public func listing(models: [ModelCatalog.Entry] = ModelCatalog.entries.filter(\.available)) -> [Listing] {
        models.flatMap { entry in
            entry.weights.map { w in
                let path = location(of: w).path
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
                return Listing(model: entry.name.rawValue, tasks: entry.tasks.rawValue, file: w.fileName, dataset: w.dataset,
                               wholeModel: w.wholeModel, url: w.url, sha256: w.sha256, present: size != nil, bytes: size)
            }
        }
    }
}
