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
        var modelOptions = ModelOptions(name: manifest.engineModelName, task: Self.engineTask(manifest.task),
                                        numClasses: manifest.classes.count)
        modelOptions.device = device
        modelOptions.imageSize = manifest.imageSize
        if let d = manifest.detection {
            modelOptions.minSize = d.minSize
            modelOptions.maxSize = d.maxSize
            modelOptions.boxScoreThreshold = Float(d.boxScoreThresh)
            modelOptions.boxNMSThreshold = Float(d.boxNMSThresh)
            modelOptions.detectionsPerImage = d.boxDetectionsPerImg
            modelOptions.frozenBatchNorm = Self.hasFrozenBatchNorm(modelDirectory.appendingPathComponent(manifest.weightsFile))
            if let side = d.imgSize { modelOptions.imageSize = side }  // yolov5's letterbox (its anchors load with the weights)
            if let threshold = d.maskPixelScoreThreshold { modelOptions.maskPixelScoreThreshold = Float(threshold) }
            if let points = d.maxNumberOfPolygonPoints { modelOptions.maxPolygonPoints = points }
        }
        model = try Model(modelOptions)
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

    static func engineTask(_ task: ImageTask) -> EngineTask {
        switch task {
        case .imageClassification: .multiclass
        case .imageClassificationMultilabel: .multilabel
        case .imageObjectDetection: .objectDetection
        case .imageInstanceSegmentation: .instanceSegmentation
        }
    }

    /// A detector saved with FrozenBatchNorm2d has no `num_batches_tracked` in its backbone: build it the same way.
    static func hasFrozenBatchNorm(_ weights: URL) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: weights.path) else { return false }
        defer { try? handle.close() }
        guard let lengthBytes = try? handle.read(upToCount: 8), lengthBytes.count == 8 else { return false }
        let length = lengthBytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
        guard length < 100_000_000, let header = try? handle.read(upToCount: Int(length)) else { return false }
        let text = String(decoding: header, as: UTF8.self)
        return text.contains("backbone.body.bn1.running_var") && !text.contains("backbone.body.bn1.num_batches_tracked")
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
        let labelled = images ?? paths.map { LabeledImage(path: $0, labels: manifest.task == .imageClassification ? [0] : []) }
        var dataset = try head.dataset(labelled, classes: classes ?? manifest.classes)
        // Tiled inference: model.json's tile settings (as trained, or switched on for inference only).
        if let d = manifest.detection, let grid = d.tileGridSize {
            dataset = try dataset.tiled(columns: grid.columns, rows: grid.rows, overlap: d.tileOverlapRatio,
                                        nmsThreshold: d.tilePredictionsNMSThresh, maxDetections: d.boxDetectionsPerImg)
        }
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
        if manifest.task.isClassification {
            let probs = try probabilities(paths: paths)
            let k = manifest.classes.count
            return paths.enumerated().map { i, path in
                let row = Array(probs[(i * k)..<((i + 1) * k)])
                var order = Array(0..<k)
                if let top {
                    order.sort { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
                    order = Array(order.prefix(max(0, top)))
                }
                return ScoringResponse(filename: path, probs: order.map { row[$0] }, labels: order.map { manifest.classes[$0] })
            }
        }
        let prediction = try SpoolEngine.Prediction(model: model, loader: try loader(paths: paths))
        let segmentation = manifest.task == .imageInstanceSegmentation
        return try paths.enumerated().map { i, path in
            let detections = try prediction.detections(image: i).detections
            return ScoringResponse(filename: path, boxes: try detections.enumerated().map { k, d in
                // Segmentation: the mask above mask_pixel_score_threshold as polygons, every part kept.
                let polygon = segmentation ? try prediction.polygons(image: i, detection: k).map { $0.map(Double.init) } : nil
                return ScoringResponse.ScoredBox(box: .init(topX: Double(d.box[0]), topY: Double(d.box[1]),
                                                            bottomX: Double(d.box[2]), bottomY: Double(d.box[3])),
                                                 label: manifest.classes[d.label], score: Double(d.score), polygon: polygon)
            })
        }
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
