/// The fixed hyperparameters of one classification trial (spec section 5), every one resolved to a value.
///
/// Build it with `resolve(task:values:)`, which applies Azure's per-task and per-model defaults and
/// validates every value; encoded, it uses the v1 names as keys (`number_of_epochs`, `learning_rate`...).
public struct TrainingParameters: Sendable, Hashable, Codable {
    /// The learning-rate schedule (`lr_scheduler`).
    public enum LRScheduler: String, Sendable, Codable, CaseIterable {
        case warmupCosine = "warmup_cosine"
        case step
    }

    /// The optimizer (`optimizer`).
    public enum Optimizer: String, Sendable, Codable, CaseIterable {
        case sgd
        case adam
        case adamw
    }

    /// `weighted_loss`: 0 no class weights, 1 their square root, 2 the inverse-frequency class weights.
    public enum WeightedLoss: Int, Sendable, Codable, CaseIterable {
        case off = 0
        case squareRoot = 1
        case inverseFrequency = 2
    }

    public var modelName: ClassificationModel
    /// A local weight file of the reference architecture (ImageNet weights); nil trains from scratch.
    public var pretrainedWeights: String?
    /// Seeds the split, the shuffles and the initialisation; nil lets the runner choose (and record) one.
    public var seed: Int?

    // Model-agnostic.
    public var numberOfEpochs: Int
    public var trainingBatchSize: Int
    public var validationBatchSize: Int
    public var gradAccumulationStep: Int
    public var earlyStopping: Bool
    public var earlyStoppingPatience: Int
    public var earlyStoppingDelay: Int
    public var learningRate: Double
    public var lrScheduler: LRScheduler
    public var stepLRGamma: Double
    public var stepLRStepSize: Int
    public var warmupCosineLRCycles: Double
    public var warmupCosineLRWarmupEpochs: Int
    public var optimizer: Optimizer
    public var momentum: Double
    public var weightDecay: Double
    public var nesterov: Bool
    public var beta1: Double
    public var beta2: Double
    public var amsgrad: Bool
    public var evaluationFrequency: Int
    public var splitRatio: Double
    /// Save a checkpoint every N epochs; nil keeps only the epoch with the best primary metric.
    public var checkpointFrequency: Int?
    /// Start from the weights of an earlier job or trial (incremental training).
    public var checkpointRunID: String?
    public var layersToFreeze: Int?

    // Classification-specific.
    public var weightedLoss: WeightedLoss
    public var validResizeSize: Int
    public var validCropSize: Int
    public var trainCropSize: Int

    // Spool's extension: training augmentation (section 8), which Azure fixes. torchvision's defaults.
    /// RandomResizedCrop's area share, lower and upper bound (`augmentation_crop_scale_min`/`_max`).
    public var augmentationCropScaleMin: Double = 0.08
    public var augmentationCropScaleMax: Double = 1.0
    /// Horizontal flip probability (`augmentation_hflip`).
    public var augmentationHorizontalFlip: Double = 0.5
    /// ColorJitter strengths (`augmentation_brightness`, `_contrast`, `_saturation`, `_hue`).
    public var augmentationBrightness: Double = 0.4
    public var augmentationContrast: Double = 0.4
    public var augmentationSaturation: Double = 0.4
    public var augmentationHue: Double = 0.0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case modelName = "model_name"
        case pretrainedWeights = "pretrained_weights"
        case seed
        case numberOfEpochs = "number_of_epochs"
        case trainingBatchSize = "training_batch_size"
        case validationBatchSize = "validation_batch_size"
        case gradAccumulationStep = "grad_accumulation_step"
        case earlyStopping = "early_stopping"
        case earlyStoppingPatience = "early_stopping_patience"
        case earlyStoppingDelay = "early_stopping_delay"
        case learningRate = "learning_rate"
        case lrScheduler = "lr_scheduler"
        case stepLRGamma = "step_lr_gamma"
        case stepLRStepSize = "step_lr_step_size"
        case warmupCosineLRCycles = "warmup_cosine_lr_cycles"
        case warmupCosineLRWarmupEpochs = "warmup_cosine_lr_warmup_epochs"
        case optimizer
        case momentum
        case weightDecay = "weight_decay"
        case nesterov
        case beta1
        case beta2
        case amsgrad
        case evaluationFrequency = "evaluation_frequency"
        case splitRatio = "split_ratio"
        case checkpointFrequency = "checkpoint_frequency"
        case checkpointRunID = "checkpoint_run_id"
        case layersToFreeze = "layers_to_freeze"
        case weightedLoss = "weighted_loss"
        case validResizeSize = "valid_resize_size"
        case validCropSize = "valid_crop_size"
        case trainCropSize = "train_crop_size"
        case augmentationCropScaleMin = "augmentation_crop_scale_min"
        case augmentationCropScaleMax = "augmentation_crop_scale_max"
        case augmentationHorizontalFlip = "augmentation_hflip"
        case augmentationBrightness = "augmentation_brightness"
        case augmentationContrast = "augmentation_contrast"
        case augmentationSaturation = "augmentation_saturation"
        case augmentationHue = "augmentation_hue"
    }

    /// Azure's defaults for a classification task and model (the "default" column of section 5).
    /// Detection and segmentation tasks are read as multiclass: their own defaults come with their models.
    public static func defaults(
        task: ImageTask, model: ClassificationModel = .defaultModel
    ) -> TrainingParameters {
        let multilabel = task == .imageClassificationMultilabel
        let batchSize = switch model {
        case .vits16r224: 128
        case .vitb16r224: 48
        case .vitl16r224: 10
        default: 78
        }
        let learningRate = switch model {
        case .vits16r224, .vitb16r224: multilabel ? 0.025 : 0.0125
        case .vitl16r224: multilabel ? 0.002 : 0.001
        default: multilabel ? 0.035 : 0.01
        }
        return TrainingParameters(
            modelName: model, pretrainedWeights: nil, seed: nil,
            numberOfEpochs: 15, trainingBatchSize: batchSize, validationBatchSize: batchSize,
            gradAccumulationStep: 1, earlyStopping: true, earlyStoppingPatience: 5, earlyStoppingDelay: 5,
            learningRate: learningRate, lrScheduler: .warmupCosine, stepLRGamma: 0.5, stepLRStepSize: 5,
            warmupCosineLRCycles: 0.45, warmupCosineLRWarmupEpochs: 2,
            optimizer: .sgd, momentum: 0.9, weightDecay: 1e-4, nesterov: true,
            beta1: 0.9, beta2: 0.999, amsgrad: false,
            evaluationFrequency: 1, splitRatio: 0.2,
            checkpointFrequency: nil, checkpointRunID: nil, layersToFreeze: nil,
            weightedLoss: .off, validResizeSize: 256, validCropSize: 224, trainCropSize: 224
        )
    }
}
