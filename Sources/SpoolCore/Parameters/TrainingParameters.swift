/// The fixed hyperparameters of one trial (spec section 5), every one resolved to a value; the rows of
/// `ParameterTable` that apply to the task and model are read, the others keep their defaults.
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

    /// `validation_metric_type`: which mean average precision is computed at each evaluation.
    public enum ValidationMetricType: String, Sendable, Codable, CaseIterable {
        case none, coco, voc
        case cocoVOC = "coco_voc"
    }

    /// yolov5's `model_size`.
    public enum ModelSize: String, Sendable, Codable, CaseIterable {
        case small, medium, large, xlarge

        /// Ultralytics' letter: yolov5s, yolov5m, yolov5l, yolov5x.
        public var letter: String {
            switch self {
            case .small: "s"
            case .medium: "m"
            case .large: "l"
            case .xlarge: "x"
            }
        }
    }

    /// The engine's name of the model: a size's own name where the family has sizes (yolov5 with its
    /// model_size letter: yolov5s ... yolov5x); else model_name.
    public var engineModelName: String {
        modelName.recipe.engineModelName(self)
    }

    /// `tile_grid_size`: columns x rows.
    public struct TileGrid: Sendable, Hashable, Codable {
        public var columns: Int
        public var rows: Int
        public init(columns: Int, rows: Int) {
            self.columns = columns
            self.rows = rows
        }

        /// `"3x2"` or `"(3, 2)"`: columns and rows, each 1 to 10, two tiles at least.
        public init?(text: String) {
            guard let grid = TrainingParameters.tileGrid(.string(text)) else { return nil }
            self = grid
        }
    }

    /// `weighted_loss`: 0 no class weights, 1 their square root, 2 the inverse-frequency class weights.
    public enum WeightedLoss: Int, Sendable, Codable, CaseIterable {
        case off = 0
        case squareRoot = 1
        case inverseFrequency = 2
    }

    public var modelName: ModelName
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
    /// Detection training: zoom-out, crop-around-boxes and photometric probabilities.
    public var augmentationExpand: Double = 0.5
    public var augmentationCrop: Double = 0.5
    public var augmentationPhotometric: Double = 0.5
    /// yolov5 training (Ultralytics' hyp.scratch-low): mosaic probability, random affine (rotation degrees,
    /// translation share, scale +/-, shear degrees) and HSV gains.
    public var augmentationMosaic: Double = 1.0
    /// yolov5: images per update; gradients accumulate over round(nominal_batch_size / training_batch_size)
    /// batches (Ultralytics' nbs 64).
    public var nominalBatchSize = 64
    public var augmentationDegrees: Double = 0
    public var augmentationTranslate: Double = 0.1
    public var augmentationScale: Double = 0.5
    public var augmentationShear: Double = 0
    public var augmentationHSVHue: Double = 0.015
    public var augmentationHSVSaturation: Double = 0.7
    public var augmentationHSVValue: Double = 0.4

    // Detection and segmentation (section 5); defaults of the task when the task is not one of them.
    public var validationMetricType: ValidationMetricType = .voc
    public var validationIoUThreshold: Double = 0.5
    public var minSize = 600
    public var maxSize = 1333
    public var boxScoreThresh = 0.3
    public var boxNMSThresh = 0.5
    public var boxDetectionsPerImg = 100
    public var tileGridSize: TileGrid?
    public var tileOverlapRatio = 0.25
    public var tilePredictionsNMSThresh = 0.25
    // yolov5.
    public var imgSize = 640
    public var modelSize: ModelSize = .medium
    public var multiScale = false
    public var boxIoUThresh = 0.5
    // Mask R-CNN inference.
    public var maskPixelScoreThreshold = 0.5
    public var maxNumberOfPolygonPoints = 100

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
        case augmentationExpand = "augmentation_expand"
        case augmentationCrop = "augmentation_crop"
        case augmentationPhotometric = "augmentation_photometric"
        case augmentationMosaic = "augmentation_mosaic"
        case nominalBatchSize = "nominal_batch_size"
        case augmentationDegrees = "augmentation_degrees"
        case augmentationTranslate = "augmentation_translate"
        case augmentationScale = "augmentation_scale"
        case augmentationShear = "augmentation_shear"
        case augmentationHSVHue = "augmentation_hsv_h"
        case augmentationHSVSaturation = "augmentation_hsv_s"
        case augmentationHSVValue = "augmentation_hsv_v"
        case validationMetricType = "validation_metric_type"
        case validationIoUThreshold = "validation_iou_threshold"
        case minSize = "min_size"
        case maxSize = "max_size"
        case boxScoreThresh = "box_score_thresh"
        case boxNMSThresh = "box_nms_thresh"
        case boxDetectionsPerImg = "box_detections_per_img"
        case tileGridSize = "tile_grid_size"
        case tileOverlapRatio = "tile_overlap_ratio"
        case tilePredictionsNMSThresh = "tile_predictions_nms_thresh"
        case imgSize = "img_size"
        case modelSize = "model_size"
        case multiScale = "multi_scale"
        case boxIoUThresh = "box_iou_thresh"
        case maskPixelScoreThreshold = "mask_pixel_score_threshold"
        case maxNumberOfPolygonPoints = "max_number_of_polygon_points"
    }

    /// Azure's defaults for a task and model (the "default" column of section 5).
    public static func defaults(task: ImageTask, model: ModelName? = nil) -> TrainingParameters {
        let model = model ?? ModelCatalog.defaultModel(for: task)
        let multilabel = task == .imageClassificationMultilabel
        let batchSize = 78, validationBatchSize = 78, epochs = 15
        let learningRate = multilabel ? 0.035 : 0.01
        var p = TrainingParameters(
            modelName: model, pretrainedWeights: nil, seed: nil,
            numberOfEpochs: epochs, trainingBatchSize: batchSize, validationBatchSize: validationBatchSize,
            gradAccumulationStep: 1, earlyStopping: true, earlyStoppingPatience: 5, earlyStoppingDelay: 5,
            learningRate: learningRate, lrScheduler: .warmupCosine, stepLRGamma: 0.5, stepLRStepSize: 5,
            warmupCosineLRCycles: 0.45, warmupCosineLRWarmupEpochs: 2,
            optimizer: .sgd, momentum: 0.9, weightDecay: 1e-4, nesterov: true,
            beta1: 0.9, beta2: 0.999, amsgrad: false,
            evaluationFrequency: 1, splitRatio: 0.2,
            checkpointFrequency: nil, checkpointRunID: nil, layersToFreeze: nil,
            weightedLoss: .off, validResizeSize: 256, validCropSize: 224, trainCropSize: 224
        )
        model.recipe.applyDefaults(to: &p, task: task)
        if !task.isClassification {
            // Detection's photometric distortion is milder than classification's colour jitter (SSD's).
            p.augmentationBrightness = 0.125
            p.augmentationContrast = 0.5
            p.augmentationSaturation = 0.5
            p.augmentationHue = 0.05
        }
        return p
    }
}
