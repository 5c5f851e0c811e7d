import Foundation
import SpoolCore
import SpoolEngine

/// Scores images with a model folder (`model.json` + `weights.safetensors`), preprocessing as in validation,
/// for any task: class probabilities, or boxes (with polygons for segmentation), in Azure's scoring format.
public final class Predictor {
    public private(set) var manifest: ModelManifest
    let model: Model
    let options: LoaderOptions
    let head: any TaskHead

    /// One image's result (Azure's scoring format).
    public typealias Prediction = ScoringResponse

    /// The model folder as its model.json describes it, or with `manifest` in its place (the command line's
    /// detection thresholds over model.json's; the folder is not changed).
    public init(modelDirectory: URL, manifest given: ModelManifest? = nil, device: String = "cpu", batchSize: Int = 16,
                workers: Int = 2) throws {
        manifest = try given ?? ModelManifest.read(from: modelDirectory)
        head = TaskHeads.head(for: manifest.task)
        let weights = modelDirectory.appendingPathComponent(manifest.weightsFile)
        model = try Model(head.modelOptions(manifest, weights: weights, device: device))
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

    /// Tiled inference for a detector, whatever model.json says (tiling may be switched on for inference only):
    /// a grid, or nil for whole images only.
    public func useTiles(_ grid: TrainingParameters.TileGrid?, overlap: Double? = nil, nmsThreshold: Double? = nil) throws {
        guard manifest.detection != nil else {
            throw TrainingError.data("tiles apply to object detection; this model is \(manifest.task.rawValue)")
        }
        manifest.detection?.tileGridSize = grid
        if let overlap { manifest.detection?.tileOverlapRatio = overlap }
        if let nmsThreshold { manifest.detection?.tilePredictionsNMSThresh = nmsThreshold }
    }

    func loader(paths: [String], images: [LabeledImage]? = nil, classes: [String]? = nil) throws -> ImageLoader {
        let labelled = images ?? paths.map(head.unlabelled)
        let dataset = try head.views(of: try head.dataset(labelled, classes: classes ?? manifest.classes), manifest)
        return try ImageLoader(dataset: dataset, options: options)
    }

    /// Classification probabilities (images x classes, row-major), in the order of `paths`.
    public func probabilities(paths: [String]) throws -> [Float] {
        guard !paths.isEmpty else { return [] }
        return try Evaluation.run(model: model, loader: try loader(paths: paths)).probabilities
    }

    /// Azure's scoring output for each image: every class in class order (or the `top` most probable, most
    /// probable first); or the detections, by decreasing score, with normalised boxes.
    public func predict(paths: [String], top: Int? = nil) throws -> [ScoringResponse] {
        guard !paths.isEmpty else { return [] }
        return try head.responses(model: model, loader: try loader(paths: paths), paths: paths, classes: manifest.classes, top: top)
    }

    /// The task's full evaluation on labelled images whose class indices follow `classes`.
    /// - Throws: `TrainingError.data` when the model was trained on other classes.
    public func evaluate(on images: [LabeledImage], classes: [String], parameters: TrainingParameters? = nil) throws -> TaskReport {
        guard classes == manifest.classes else {
            throw TrainingError.data("the model knows the classes \(manifest.classes.joined(separator: ", ")), the data has \(classes.joined(separator: ", ")): they cannot be compared")
        }
        guard !images.isEmpty else { throw TrainingError.data("no validation images to compare on") }
        var p = parameters ?? TrainingParameters.defaults(task: manifest.task, model: manifest.modelName)
        if let d = manifest.detection, parameters == nil { p.boxScoreThresh = d.boxScoreThresh }
        let prediction = try SpoolEngine.Prediction(model: model, loader: try loader(paths: images.map(\.path), images: images, classes: classes))
        return try head.evaluate(prediction, images: images, classes: classes, parameters: p)
    }

    /// The task's primary metric on labelled images (how a retrained model is compared with the one in use).
    public func primaryMetric(on images: [LabeledImage], classes: [String]) throws -> Double {
        try evaluate(on: images, classes: classes).primaryValue
    }

    /// Raw logits for a preprocessed batch (tests compare them with the reference).
    public func logits(_ input: [Float], batch: Int) throws -> [Float] {
        try model.forward(input, batch: batch, height: options.cropSize, width: options.cropSize)
    }
}
