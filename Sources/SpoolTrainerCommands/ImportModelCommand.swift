import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolEngine
import SpoolTraining

struct ImportModelCommand: ParsableCommand {
    static let configuration = ImportModelArguments.configuration
    @OptionGroup var arguments: ImportModelArguments

    func run() throws {
        // A family with sizes names each by its engine model (yolov5s ... yolov5x: yolov5 with its model_size).
        let engineModel = ModelCatalog.engineModel(named: arguments.model)
        guard let name = engineModel?.model ?? ModelName(settingsValue: arguments.model) else {
            let allowed = ModelCatalog.entries.flatMap { $0.engineModels.count > 1 ? $0.engineModels : [$0.name.rawValue] }
            throw CommandError("--model \(arguments.model): unknown model; allowed: \(allowed.joined(separator: ", "))")
        }
        let entry = ModelCatalog.entry(name)
        if engineModel == nil {
            let sizes = entry.engineModels
            throw CommandError("--model \(name.rawValue): say which size, as \(entry.library.capitalized) names its files: \(sizes.dropLast().joined(separator: ", ")) or \(sizes.last!)")
        }
        let family = entry.tasks
        guard entry.available else {
            throw CommandError("--model \(name.rawValue): not built yet in this version of Spool")
        }
        let labels: [String]
        if let path = arguments.labels {
            labels = try Self.readLabels(path, droppingBackground: entry.recipe.backgroundSlot != .none)
        } else if family != .classification {
            labels = COCOCategories.classes(for: name)
        } else {
            throw CommandError("--labels is required for a classifier: one label a line, in class-index order")
        }
        try OutputPath.claimFolder(arguments.out, force: arguments.force)
        try EngineRuntime.setThreads(nil)
        let out = URL(fileURLWithPath: arguments.out)
        if family == .classification {
            try importClassifier(name, labels: labels, to: out)
        } else {
            try importDetector(name, engineParameters: engineModel!.parameters, labels: labels, segmentation: family == .instanceSegmentation, to: out)
        }
        try ScoringScript.write(into: out)
        print("imported \(name.rawValue) with \(labels.count) classes into \(out.path)")
    }

    /// One label a line, in class-index order. For torchvision's detectors a leading `__background__` line
    /// (torchvision's own category lists start with it) is the background slot, not a class: dropped.
    static func readLabels(_ path: String, droppingBackground: Bool = false) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CommandError("--labels \(path): cannot read the file")
        }
        let labels = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .reversed().drop(while: \.isEmpty).reversed().map { $0 }
        if let blank = labels.firstIndex(of: "") {
            throw CommandError("\(path):\(blank + 1): empty label; one label a line, in class-index order")
        }
        let classes = droppingBackground && labels.first == "__background__" ? Array(labels.dropFirst()) : labels
        guard !classes.isEmpty else { throw CommandError("\(path): no labels") }
        return classes
    }

    /// Loads the weights strictly (head included). Only a head of another size (the engine says which) is
    /// blamed on the labels, with how many outputs they make; any other misfit is the file's, said as it is.
    func load(_ model: Model, labels: [String], headOutputs: String) throws {
        do {
            try model.load(weights: arguments.weights, replaceHead: false)
        } catch {
            // (A `catch let ... where` on a typed throw crashes Swift 6.3's ownership checker: test inside.)
            switch error.code {
            case .headShape:
                let source = arguments.labels.map { "\(labels.count) classes, one per line of \($0)" }
                    ?? "COCO's \(labels.count) categories; give --labels for a model trained on other classes"
                throw CommandError("\(error.message)\nWith \(source), the head must have \(headOutputs).")
            case .weights: throw CommandError(error.message)
            default: throw error
            }
        }
    }

    func importClassifier(_ name: ModelName, labels: [String], to out: URL) throws {
        let model = try Model(name: name.rawValue, numClasses: labels.count, imageSize: arguments.cropSize)
        try load(model, labels: labels, headOutputs: "\(labels.count) outputs")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try model.save(to: out.appendingPathComponent("weights.safetensors").path)
        let manifest = ModelManifest(
            task: arguments.multilabel ? .imageClassificationMultilabel : .imageClassification,
            modelName: name, classes: labels,
            preprocessing: .init(validResizeSize: arguments.resizeSize, validCropSize: arguments.cropSize,
                                 mean: try ImportModelArguments.triple(arguments.mean, name: "mean"),
                                 std: try ImportModelArguments.triple(arguments.std, name: "std")),
            imageSize: arguments.cropSize, source: "spoolctl import-model \(arguments.weights)")
        try manifest.write(to: out)
    }

    /// A torchvision detector: the manifest holds the inference settings of section 5 (defaults, with the
    /// sizes given), so predict, score.py and serve-model use the model as it is.
    func importDetector(_ name: ModelName, engineParameters: TrainingParameters, labels: [String], segmentation: Bool,
                        to out: URL) throws {
        let task: ImageTask = segmentation ? .imageInstanceSegmentation : .imageObjectDetection
        var p = TrainingParameters.defaults(task: task, model: name)
        p.modelSize = engineParameters.modelSize
        p.minSize = arguments.minSize
        p.maxSize = arguments.maxSize
        if case .letterbox = name.recipe.input(p) { p.imgSize = arguments.imgSize }
        let head = TaskHeads.head(for: task)
        let model = try Model(head.modelOptions(p, classes: labels, device: "cpu", pretrained: true))  // frozen BatchNorm, as the file has it
        // Faster/Mask R-CNN's heads have one more output, the background; RetinaNet's either the classes alone or,
        // as torchvision's files have them, one more (its background slot, dropped as the file loads).
        try load(model, labels: labels, headOutputs: name.recipe.backgroundSlot.headOutputs(classes: labels.count))
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try model.save(to: out.appendingPathComponent("weights.safetensors").path)
        try head.manifest(p, classes: labels, primaryMetric: nil, source: "spoolctl import-model \(arguments.weights)").write(to: out)
    }
}
