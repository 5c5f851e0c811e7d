/// What a model family decides for every model of it: its defaults, which parameters it takes, how images
/// enter it, its training recipe beyond Azure's optimiser settings, its inference settings, its weight files
/// and its scoring script's architecture. The catalogue row names the family (`ModelCatalog.Entry.family`);
/// code elsewhere asks the recipe, never the model's name. One type per family: `ClassifierRecipe`,
/// `TorchvisionDetectorRecipe` (two-stage R-CNNs and one-stage dense detectors), `YOLORecipe`.
public protocol ModelRecipe: Sendable {
    var family: ModelFamily { get }

    /// The model-specific rows of `ParameterTable` this family reads (besides its task's rows).
    var parameterScopes: Set<ParameterTable.Scope> { get }

    /// Azure's per-model defaults (section 5) over `p`, the task's defaults.
    func applyDefaults(to p: inout TrainingParameters, task: ImageTask)

    /// The engine's models behind a catalogue name: one per size where the family has sizes.
    func engineModels(of model: ModelName) -> [String]

    /// The engine's model of a run (a size's own name where the family has sizes).
    func engineModelName(_ p: TrainingParameters) -> String

    /// Sets the parameters an engine model's name implies (yolov5s: model_size small); nil when the name is
    /// not one of `engineModels(of: model)`.
    func parameters(forEngineModel name: String, model: ModelName, task: ImageTask) -> TrainingParameters?

    /// The settings key of the detections' NMS IoU threshold (`box_nms_thresh`, YOLO's `box_iou_thresh`).
    var nmsThresholdKey: String { get }

    /// How images enter the model, from a run's parameters.
    func input(_ p: TrainingParameters) -> ModelInput

    /// What training adds to Azure's optimiser settings (warm-up, accumulation, weight average), if anything.
    func trainingSchedule(_ p: TrainingParameters, stepsPerEpoch: Int) -> TrainingSchedule?

    /// Whether anchors are fitted to the data's boxes when training from scratch (AutoAnchor).
    var fitsAnchorsToData: Bool { get }

    /// The class names of the reference's COCO weights, in its output order.
    var cocoClasses: [String] { get }

    /// Whether and how the reference's classification head has a background output the labels do not name.
    var backgroundSlot: BackgroundSlot { get }

    /// A vision transformer's patch side: its position embeddings are built for one crop, so the validation crop
    /// must equal the training crop, a multiple of it. nil: any crop (convolutional models).
    var patchSize: Int? { get }
}

/// A reference detector's background output (torchvision numbers COCO's classes from 1, slot 0 the
/// background): an import's labels file may then start with `__background__`, which is not a class.
public enum BackgroundSlot: Sendable, Equatable {
    /// None: one output per class (classifiers, YOLO).
    case none
    /// Slot 0 is the background, and Spool's head keeps it (the R-CNNs' softmax over classes + 1).
    case first
    /// The reference's files have an unused slot 0 that Spool's head does not (sigmoid heads: RetinaNet):
    /// dropped as a file loads, so a file may have the classes' outputs or one more.
    case droppedOnLoad

    /// The head's outputs for `n` classes, as an import's error names them.
    public func headOutputs(classes n: Int) -> String {
        switch self {
        case .none: "\(n) outputs"
        case .first: "\(n + 1) outputs (the background first)"
        case .droppedOnLoad: "\(n) or \(n + 1) outputs (a background slot first)"
        }
    }
}

extension ModelRecipe {
    public func engineModels(of model: ModelName) -> [String] { [model.rawValue] }
    public func engineModelName(_ p: TrainingParameters) -> String { p.modelName.rawValue }
    public func parameters(forEngineModel name: String, model: ModelName, task: ImageTask) -> TrainingParameters? {
        name == model.rawValue ? TrainingParameters.defaults(task: task, model: model) : nil
    }
    public var nmsThresholdKey: String { "box_nms_thresh" }
    public func trainingSchedule(_ p: TrainingParameters, stepsPerEpoch: Int) -> TrainingSchedule? { nil }
    public var fitsAnchorsToData: Bool { false }
    public var cocoClasses: [String] { Array(COCOCategories.names.dropFirst()) }
    public var backgroundSlot: BackgroundSlot { .none }
    public var patchSize: Int? { nil }

    /// The NMS IoU threshold of a run, read from the family's own key.
    public func nmsThreshold(_ p: TrainingParameters) -> Double {
        nmsThresholdKey == "box_iou_thresh" ? p.boxIoUThresh : p.boxNMSThresh
    }
}

/// How images enter a model.
public enum ModelInput: Sendable, Equatable {
    /// A classifier's crops: random resized crops of `trainCrop` in training, resize then centre crop to
    /// validation.
    case crop(train: Int, resize: Int, valid: Int)
    /// torchvision's detection transform: the shorter side to `minSize`, the longer at most `maxSize`.
    case resize(minSize: Int, maxSize: Int)
    /// Ultralytics' letterbox to `side` (a multiple of 32); `multiScale` trains at 0.5-1.5x of it.
    case letterbox(side: Int, multiScale: Bool)

    /// The side training works at (memory-format measurements, estimates).
    public var trainingSide: Int {
        switch self {
        case .crop(let train, _, _): train
        case .resize(let minSize, _): minSize
        case .letterbox(let side, _): side
        }
    }
}

/// What a family's training adds to Azure's optimiser settings.
public struct TrainingSchedule: Sendable, Equatable {
    /// Steps over which the biases' learning rate and the momentum warm up.
    public var warmupIterations: Int
    /// Images per update: gradients accumulate over round(nominal / batch) steps.
    public var nominalBatchSize: Int
    /// The decay of the weights' moving average used to evaluate, save and checkpoint; nil for none.
    public var emaDecay: Double?
    /// Ultralytics' optimiser besides: three parameter groups (weight decay on weights only, scaled by the
    /// nominal batch), losses summed over the batch rather than averaged, accumulation across epochs.
    public var ultralyticsOptimizer: Bool

    public init(warmupIterations: Int, nominalBatchSize: Int, emaDecay: Double?, ultralyticsOptimizer: Bool) {
        self.warmupIterations = warmupIterations
        self.nominalBatchSize = nominalBatchSize
        self.emaDecay = emaDecay
        self.ultralyticsOptimizer = ultralyticsOptimizer
    }
}
