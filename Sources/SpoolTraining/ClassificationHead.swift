import Foundation
import SpoolCore
import SpoolEngine

/// Multiclass and multilabel classification.
public struct ClassificationHead: TaskHead {
    public let task: ImageTask
    public init(task: ImageTask) { self.task = task }

    var multilabel: Bool { task == .imageClassificationMultilabel }

    public func dataset(_ images: [LabeledImage], classes: [String]) throws -> Dataset {
        let dataset = try Dataset(task: multilabel ? .multilabel : .multiclass, numClasses: classes.count)
        for image in images {
            let index = try dataset.addImage(image.path)
            for label in image.labels { try dataset.addClass(image: index, classID: label) }
        }
        return dataset
    }

    public func modelOptions(_ p: TrainingParameters, classes: [String], device: String, pretrained: Bool) -> ModelOptions {
        var o = ModelOptions(name: p.modelName.rawValue, task: multilabel ? .multilabel : .multiclass, numClasses: classes.count)
        o.imageSize = p.trainCropSize
        o.device = device
        return o
    }

    public func loaderOptions(_ p: TrainingParameters, train: Bool, seed: UInt64, workers: Int) -> LoaderOptions {
        var o = LoaderOptions()
        o.train = train
        o.input = .crop
        o.batchSize = train ? p.trainingBatchSize : p.validationBatchSize
        o.cropSize = train ? p.trainCropSize : p.validCropSize
        o.resizeSize = p.validResizeSize
        o.seed = seed
        o.workers = workers
        if train {
            o.scale = Float(p.augmentationCropScaleMin)...Float(p.augmentationCropScaleMax)
            o.horizontalFlipProbability = Float(p.augmentationHorizontalFlip)
            o.brightness = Float(p.augmentationBrightness)
            o.contrast = Float(p.augmentationContrast)
            o.saturation = Float(p.augmentationSaturation)
            o.hue = Float(p.augmentationHue)
        }
        return o
    }

    public func evaluate(_ prediction: Prediction, images: [LabeledImage], classes: [String],
                         parameters: TrainingParameters) throws -> TaskReport {
        var probabilities: [Float] = []
        probabilities.reserveCapacity(prediction.count * classes.count)
        for i in 0..<prediction.count { probabilities += try prediction.scores(image: i) }
        return .classification(ClassificationMetrics(task: task, probabilities: probabilities, labels: images.map(\.labels),
                                                     classes: classes))
    }

    /// The longer side of the report's thumbnails.
    static let thumbnailSide = 160

    /// `examples.json` and `example_N.png` thumbnails: the most confident mistakes first, then the most
    /// confident correct answers (`ClassificationExamples.select`), with their true and predicted classes.
    public func writeExamples(_ prediction: Prediction, images: [LabeledImage], parameters p: TrainingParameters, to folder: URL) throws {
        var probabilities: [Float] = []
        for i in 0..<prediction.count { probabilities += try prediction.scores(image: i) }
        let classCount = prediction.count > 0 ? probabilities.count / prediction.count : 0
        let picks = ClassificationExamples.select(probabilities: probabilities, classCount: classCount,
                                                  truths: images.prefix(prediction.count).map(\.labels), multilabel: multilabel)
        var out: [ClassificationExamples.Image] = []
        for (n, pick) in picks.enumerated() {
            let image = images[pick.index]
            let name = "example_\(n).png"
            let size = try ImageLoader.thumbnail(path: image.path, to: folder.appendingPathComponent(name).path, maxSide: Self.thumbnailSide)
            out.append(.init(name: URL(fileURLWithPath: image.path).lastPathComponent, thumbnail: name, thumbnailWidth: size.width,
                             thumbnailHeight: size.height, truths: image.labels, predicted: pick.predicted, scores: pick.scores,
                             correct: pick.correct, confidence: pick.confidence))
        }
        try ClassificationExamples(images: out).write(to: folder.appendingPathComponent(ClassificationExamples.fileName))
    }

    public func modelOptions(_ manifest: ModelManifest, weights: URL, device: String) -> ModelOptions {
        var o = ModelOptions(name: manifest.engineModelName, task: multilabel ? .multilabel : .multiclass,
                             numClasses: manifest.classes.count)
        o.device = device
        o.imageSize = manifest.imageSize
        return o
    }

    public func unlabelled(_ path: String) -> LabeledImage {
        LabeledImage(path: path, labels: multilabel ? [] : [0])
    }

    public func responses(model: Model, loader: ImageLoader, paths: [String], classes: [String], top: Int?) throws -> [ScoringResponse] {
        let probs = try Evaluation.run(model: model, loader: loader).probabilities
        let k = classes.count
        return paths.enumerated().map { i, path in
            let row = Array(probs[(i * k)..<((i + 1) * k)])
            var order = Array(0..<k)
            if let top {
                order.sort { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
                order = Array(order.prefix(max(0, top)))
            }
            return ScoringResponse(filename: path, probs: order.map { row[$0] }, labels: order.map { classes[$0] })
        }
    }

    public func manifest(_ p: TrainingParameters, classes: [String], primaryMetric: ModelManifest.PrimaryMetric?,
                         source: String) -> ModelManifest {
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        return ModelManifest(task: task, modelName: p.modelName, classes: classes,
                             preprocessing: .init(validResizeSize: p.validResizeSize, validCropSize: p.validCropSize,
                                                  mean: mean, std: std),
                             imageSize: p.trainCropSize, primaryMetric: primaryMetric, source: source)
    }
}
