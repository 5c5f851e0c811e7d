/// Every training parameter of section 5 in one table: its v1 name, its aliases, which tasks and models it
/// applies to, and what it accepts. `TrainingParameters.resolve` reads exactly the rows that apply to the
/// task and model; a key of another row gets a precise "applies only to" message, anything else "unknown".
public enum ParameterTable {
    /// Which tasks and models a parameter applies to.
    public enum Scope: Sendable, Hashable {
        case all
        case classification
        /// Object detection and instance segmentation, torchvision's models (not yolov5).
        case rcnn
        /// Object detection and instance segmentation, yolov5 included.
        case detection
        /// Object detection only (tiling).
        case objectDetection
        case yolo
        case segmentation

        public func applies(task: ImageTask, model: ModelName) -> Bool {
            switch self {
            case .all: true
            case .classification: task.isClassification
            case .rcnn: !task.isClassification && model.recipe.parameterScopes.contains(.rcnn)
            case .detection: !task.isClassification
            case .objectDetection: task == .imageObjectDetection
            case .yolo: model.recipe.parameterScopes.contains(.yolo)
            case .segmentation: task == .imageInstanceSegmentation
            }
        }

        /// For "applies only to ...".
        public var description: String {
            switch self {
            case .all: "every task"
            case .classification: "image_classification and image_classification_multilabel"
            case .rcnn: "image_object_detection and image_instance_segmentation (not yolov5)"
            case .detection: "image_object_detection and image_instance_segmentation"
            case .objectDetection: "image_object_detection"
            case .yolo: "the yolov5 model of image_object_detection"
            case .segmentation: "image_instance_segmentation"
            }
        }
    }

    public struct Row: Sendable, Equatable {
        public var name: String
        public var aliases: [String]
        public var scope: Scope
        /// What the value must be, as messages and docs say it.
        public var allowed: String
    }

    /// In the order of section 5. Legend: v1 name, aliases, scope, what is allowed.
    public static let rows: [Row] = [
        Row(name: "model_name", aliases: [], scope: .all, allowed: "a model of the task (section 4)"),
        Row(name: "pretrained_weights", aliases: [], scope: .all, allowed: "the path of a weight file"),
        Row(name: "seed", aliases: [], scope: .all, allowed: "an integer >= 0"),
        Row(name: "number_of_epochs", aliases: [], scope: .all, allowed: "an integer > 0"),
        Row(name: "training_batch_size", aliases: [], scope: .all, allowed: "an integer > 0"),
        Row(name: "validation_batch_size", aliases: [], scope: .all, allowed: "an integer > 0"),
        Row(name: "grad_accumulation_step", aliases: ["gradient_accumulation_step"], scope: .all, allowed: "an integer > 0"),
        Row(name: "early_stopping", aliases: [], scope: .all, allowed: "0 or 1"),
        Row(name: "early_stopping_patience", aliases: [], scope: .all, allowed: "an integer > 0"),
        Row(name: "early_stopping_delay", aliases: [], scope: .all, allowed: "an integer > 0"),
        Row(name: "learning_rate", aliases: [], scope: .all, allowed: "a number in (0, 1]"),
        Row(name: "lr_scheduler", aliases: ["learning_rate_scheduler"], scope: .all, allowed: "warmup_cosine or step"),
        Row(name: "step_lr_gamma", aliases: [], scope: .all, allowed: "a number in [0, 1]"),
        Row(name: "step_lr_step_size", aliases: [], scope: .all, allowed: "an integer > 0"),
        Row(name: "warmup_cosine_lr_cycles", aliases: [], scope: .all, allowed: "a number in [0, 1]"),
        Row(name: "warmup_cosine_lr_warmup_epochs", aliases: [], scope: .all, allowed: "an integer >= 0"),
        Row(name: "optimizer", aliases: [], scope: .all, allowed: "sgd, adam or adamw"),
        Row(name: "momentum", aliases: [], scope: .all, allowed: "a number in [0, 1]"),
        Row(name: "weight_decay", aliases: [], scope: .all, allowed: "a number in [0, 1]"),
        Row(name: "nesterov", aliases: [], scope: .all, allowed: "0 or 1"),
        Row(name: "beta1", aliases: [], scope: .all, allowed: "a number in [0, 1]"),
        Row(name: "beta2", aliases: [], scope: .all, allowed: "a number in [0, 1]"),
        Row(name: "amsgrad", aliases: ["ams_gradient"], scope: .all, allowed: "0 or 1"),
        Row(name: "evaluation_frequency", aliases: [], scope: .all, allowed: "an integer > 0"),
        Row(name: "split_ratio", aliases: ["validation_data_size", "validation_size"], scope: .all, allowed: "a number in (0, 1)"),
        Row(name: "checkpoint_frequency", aliases: [], scope: .all, allowed: "an integer > 0"),
        Row(name: "checkpoint_run_id", aliases: [], scope: .all, allowed: "the id of an earlier job or trial"),
        Row(name: "layers_to_freeze", aliases: [], scope: .all, allowed: "an integer in [0, the model's layer groups]"),
        // Classification.
        Row(name: "weighted_loss", aliases: [], scope: .classification, allowed: "0, 1 or 2"),
        Row(name: "valid_resize_size", aliases: ["validation_resize_size"], scope: .classification, allowed: "an integer > 0"),
        Row(name: "valid_crop_size", aliases: ["validation_crop_size"], scope: .classification, allowed: "an integer > 0"),
        Row(name: "train_crop_size", aliases: ["training_crop_size"], scope: .classification, allowed: "an integer > 0"),
        // Spool's augmentation keys (docs/hyperparameters.md).
        Row(name: "augmentation_crop_scale_min", aliases: [], scope: .classification, allowed: "a number in [0.01, 1]"),
        Row(name: "augmentation_crop_scale_max", aliases: [], scope: .classification, allowed: "a number in [0, 1]"),
        Row(name: "augmentation_hflip", aliases: [], scope: .all, allowed: "a number in [0, 1]"),
        Row(name: "augmentation_brightness", aliases: [], scope: .all, allowed: "a number in [0, 1]"),
        Row(name: "augmentation_contrast", aliases: [], scope: .all, allowed: "a number in [0, 1]"),
        Row(name: "augmentation_saturation", aliases: [], scope: .all, allowed: "a number in [0, 1]"),
        Row(name: "augmentation_hue", aliases: [], scope: .all, allowed: "a number in [0, 0.5]"),
        Row(name: "augmentation_expand", aliases: [], scope: .rcnn, allowed: "a number in [0, 1] (probability)"),
        Row(name: "augmentation_crop", aliases: [], scope: .rcnn, allowed: "a number in [0, 1] (probability)"),
        Row(name: "augmentation_photometric", aliases: [], scope: .rcnn, allowed: "a number in [0, 1] (probability)"),
        // Detection and segmentation.
        Row(name: "validation_metric_type", aliases: [], scope: .detection, allowed: "none, coco, voc or coco_voc"),
        Row(name: "validation_iou_threshold", aliases: [], scope: .detection, allowed: "a number in [0.1, 1]"),
        Row(name: "min_size", aliases: [], scope: .rcnn, allowed: "an integer > 0"),
        Row(name: "max_size", aliases: [], scope: .rcnn, allowed: "an integer > 0"),
        Row(name: "box_score_thresh", aliases: ["box_score_threshold"], scope: .detection, allowed: "a number in [0, 1]"),
        Row(name: "box_nms_thresh", aliases: ["nms_iou_threshold"], scope: .rcnn, allowed: "a number in [0, 1]"),
        Row(name: "box_detections_per_img", aliases: ["box_detections_per_image"], scope: .detection, allowed: "an integer > 0"),
        Row(name: "tile_grid_size", aliases: [], scope: .objectDetection, allowed: "\"(3, 2)\" or \"3x2\": columns and rows"),
        Row(name: "tile_overlap_ratio", aliases: [], scope: .objectDetection, allowed: "a number in [0, 1)"),
        Row(name: "tile_predictions_nms_thresh", aliases: ["tile_predictions_nms_threshold"], scope: .objectDetection,
            allowed: "a number in [0, 1]"),
        // yolov5.
        Row(name: "img_size", aliases: ["image_size"], scope: .yolo, allowed: "an integer > 0, a multiple of 32 after rounding"),
        Row(name: "model_size", aliases: [], scope: .yolo, allowed: "small, medium, large or xlarge"),
        Row(name: "multi_scale", aliases: [], scope: .yolo, allowed: "0 or 1"),
        Row(name: "box_iou_thresh", aliases: [], scope: .yolo, allowed: "a number in [0, 1]"),
        Row(name: "nominal_batch_size", aliases: [], scope: .yolo, allowed: "an integer > 0 (images per update)"),
        Row(name: "augmentation_mosaic", aliases: [], scope: .yolo, allowed: "a number in [0, 1] (probability)"),
        Row(name: "augmentation_degrees", aliases: [], scope: .yolo, allowed: "a number in [0, 180]"),
        Row(name: "augmentation_translate", aliases: [], scope: .yolo, allowed: "a number in [0, 0.5]"),
        Row(name: "augmentation_scale", aliases: [], scope: .yolo, allowed: "a number in [0, 0.9]"),
        Row(name: "augmentation_shear", aliases: [], scope: .yolo, allowed: "a number in [0, 45]"),
        Row(name: "augmentation_hsv_h", aliases: [], scope: .yolo, allowed: "a number in [0, 1]"),
        Row(name: "augmentation_hsv_s", aliases: [], scope: .yolo, allowed: "a number in [0, 1]"),
        Row(name: "augmentation_hsv_v", aliases: [], scope: .yolo, allowed: "a number in [0, 1]"),
        // Mask R-CNN inference.
        Row(name: "mask_pixel_score_threshold", aliases: [], scope: .segmentation, allowed: "a number in [0, 1]"),
        Row(name: "max_number_of_polygon_points", aliases: [], scope: .segmentation, allowed: "an integer >= 3"),
    ]

    /// Alias -> v1 name.
    static let aliases: [String: String] = {
        var out: [String: String] = [:]
        for row in rows { for alias in row.aliases { out[alias] = row.name } }
        // yolov5's nms_iou_threshold is its box_iou_thresh; torchvision's box_nms_thresh elsewhere.
        return out
    }()

    /// The v1 name for a key given under any spelling.
    public static func canonicalName(_ name: String) -> String { aliases[name] ?? name }

    public static func row(_ name: String) -> Row? { rows.first { $0.name == canonicalName(name) } }

    /// The v1 names that apply to a task and model, in the table's order.
    public static func names(task: ImageTask, model: ModelName) -> [String] {
        rows.filter { $0.scope.applies(task: task, model: model) }.map(\.name)
    }

    /// Every spelling a user could have meant, for "did you mean" suggestions.
    static var allSpellings: [String] { rows.map(\.name) + Array(aliases.keys) }
}
