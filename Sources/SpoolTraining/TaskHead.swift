import Foundation
import SpoolCore
import SpoolEngine

/// What differs between the tasks in one training run: how the images become the engine's dataset, how the
/// model is built and fed, and how a prediction becomes the task's metrics. Everything else (epochs,
/// schedules, early stopping, checkpoints, outputs) is one loop, in `TrainingRun`.
public protocol TaskHead: Sendable {
    var task: ImageTask { get }

    /// The engine's dataset of `images` (class ids, or objects with boxes and polygons).
    func dataset(_ images: [LabeledImage], classes: [String]) throws -> Dataset

    /// The dataset a loader reads with these settings: the same, or its tiled views (detection's
    /// `tile_grid_size`).
    func views(of dataset: Dataset, _ p: TrainingParameters) throws -> Dataset

    /// The model, built for the run's classes and settings.
    func modelOptions(_ p: TrainingParameters, classes: [String], device: String, pretrained: Bool) -> ModelOptions

    /// Loader options for training or validation.
    func loaderOptions(_ p: TrainingParameters, train: Bool, seed: UInt64, workers: Int) -> LoaderOptions

    /// The task's metrics of a prediction of `images`.
    func evaluate(_ prediction: Prediction, images: [LabeledImage], classes: [String], parameters: TrainingParameters) throws -> TaskReport

    /// The manifest's task part: preprocessing and inference settings.
    func manifest(_ p: TrainingParameters, classes: [String], primaryMetric: ModelManifest.PrimaryMetric?, source: String) -> ModelManifest

    /// Writes what the report shows of the best epoch's validation predictions into the run's folder
    /// (detection: `examples.json` with thumbnails). Nothing by default.
    func writeExamples(_ prediction: Prediction, images: [LabeledImage], parameters: TrainingParameters, to folder: URL) throws

    // Scoring a model folder (`Predictor`).

    /// The model a model folder's model.json describes, for its weights file.
    func modelOptions(_ manifest: ModelManifest, weights: URL, device: String) -> ModelOptions

    /// An image to score, with the labels the engine's dataset of this task needs and that nothing reads.
    func unlabelled(_ path: String) -> LabeledImage

    /// The dataset a model folder scores: the same, or its tiled views (model.json's `tile_grid_size`).
    func views(of dataset: Dataset, _ manifest: ModelManifest) throws -> Dataset

    /// Azure's scoring output for each of `paths`, read by `loader`: every class in class order (or the `top`
    /// most probable), or the detections by decreasing score with normalised boxes (and polygons).
    func responses(model: Model, loader: ImageLoader, paths: [String], classes: [String], top: Int?) throws -> [ScoringResponse]
}

extension TaskHead {
    public func views(of dataset: Dataset, _ p: TrainingParameters) throws -> Dataset { dataset }
    public func views(of dataset: Dataset, _ manifest: ModelManifest) throws -> Dataset { dataset }
    public func writeExamples(_ prediction: Prediction, images: [LabeledImage], parameters: TrainingParameters, to folder: URL) throws {}
}

public enum TaskHeads {
    /// The head of a task.
    public static func head(for task: ImageTask) -> any TaskHead {
        task.isClassification ? ClassificationHead(task: task) : DetectionHead(task: task)
    }
}
