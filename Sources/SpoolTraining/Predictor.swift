import Foundation
import SpoolCore
import SpoolEngine

/// Scores images with a model folder (`model.json` + `weights.safetensors`), preprocessing as in validation.
public final class Predictor {
    public let manifest: ModelManifest
    let model: Model
    let options: LoaderOptions

    /// One image's scores: every class (or the top K), most probable first, in Azure's scoring shape.
    public struct Prediction: Codable, Sendable, Equatable {
        public var filename: String
        public var probs: [Float]
        public var labels: [String]
    }

    public init(modelDirectory: URL, device: String = "cpu", batchSize: Int = 16, workers: Int = 2) throws {
        manifest = try ModelManifest.read(from: modelDirectory)
        model = try Model(name: manifest.modelName.rawValue, numClasses: manifest.classes.count,
                          imageSize: manifest.imageSize, device: device)
        let weights = modelDirectory.appendingPathComponent(manifest.weightsFile)
        guard FileManager.default.fileExists(atPath: weights.path) else {
            throw TrainingError.modelFolder("\(weights.path): missing; the model folder is incomplete")
        }
        try model.load(weights: weights.path, replaceHead: false)
        var o = LoaderOptions()
        o.train = false
        o.batchSize = batchSize
        o.cropSize = manifest.preprocessing.validCropSize
        o.resizeSize = manifest.preprocessing.validResizeSize
        o.mean = manifest.preprocessing.mean
        o.std = manifest.preprocessing.std
        o.workers = workers
        options = o
    }

    /// Probabilities (images x classes, row-major), in the order of `paths`.
    public func probabilities(paths: [String]) throws -> [Float] {
        guard !paths.isEmpty else { return [] }
        let task: TaskKind = manifest.task == .imageClassificationMultilabel ? .multilabel : .multiclass
        // Targets of the task's shape, needed only by the loss the evaluation also computes: a class index per
        // image, or one 0/1 per class for multilabel models.
        let width = task == .multilabel ? manifest.classes.count : 1
        let loader = try ImageLoader(paths: paths, targets: [Float](repeating: 0, count: paths.count * width),
                                     targetWidth: width, options: options)
        return try Evaluation.run(model: model, loader: loader, task: task).probabilities
    }

    /// Predictions with every class in class order (Azure's scoring output), or the `top` most probable,
    /// most probable first.
    public func predict(paths: [String], top: Int? = nil) throws -> [Prediction] {
        let probs = try probabilities(paths: paths)
        let k = manifest.classes.count
        return paths.enumerated().map { i, path in
            let row = Array(probs[(i * k)..<((i + 1) * k)])
            var order = Array(0..<k)
            if let top {
                order.sort { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
                order = Array(order.prefix(max(0, top)))
            }
            return Prediction(filename: path, probs: order.map { row[$0] }, labels: order.map { manifest.classes[$0] })
        }
    }

    /// The task's primary metric on labelled images whose class indices follow `classes` (how a retrained
    /// model is compared with the one in use, on the new validation set).
    /// - Throws: `TrainingError.data` when the model was trained on other classes.
    public func primaryMetric(on images: [LabeledImage], classes: [String]) throws -> Double {
        guard classes == manifest.classes else {
            throw TrainingError.data("the model knows the classes \(manifest.classes.joined(separator: ", ")), the data has \(classes.joined(separator: ", ")): they cannot be compared")
        }
        guard !images.isEmpty else { throw TrainingError.data("no validation images to compare on") }
        let probabilities = try probabilities(paths: images.map(\.path))
        return try ClassificationReport(task: manifest.task, probabilities: probabilities, labels: images.map(\.labels),
                                        classes: classes).primaryValue
    }

    /// Raw logits for a preprocessed batch (tests compare them with the reference).
    public func logits(_ input: [Float], batch: Int) throws -> [Float] {
        try model.forward(input, batch: batch, height: options.cropSize, width: options.cropSize)
    }
}
