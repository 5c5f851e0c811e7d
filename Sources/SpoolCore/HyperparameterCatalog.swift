/// The names of every hyperparameter of spec section 5: v1 names, their aliases, and which task each
/// belongs to, so that a misplaced or misspelt key gets a precise message.
enum HyperparameterCatalog {
    /// Alias (v2 name and other spellings) -> v1 name.
    static let aliases: [String: String] = [
        "gradient_accumulation_step": "grad_accumulation_step",
        "learning_rate_scheduler": "lr_scheduler",
        "ams_gradient": "amsgrad",
        "validation_data_size": "split_ratio",
        "validation_size": "split_ratio",
        "validation_resize_size": "valid_resize_size",
        "validation_crop_size": "valid_crop_size",
        "training_crop_size": "train_crop_size",
        "box_score_threshold": "box_score_thresh",
        "nms_iou_threshold": "box_nms_thresh",
        "box_detections_per_image": "box_detections_per_img",
        "tile_predictions_nms_threshold": "tile_predictions_nms_thresh",
        "image_size": "img_size",
    ]

    /// The v1 names a classification task takes, in the order of section 5.
    static let classificationNames: [String] = [
        "model_name", "pretrained_weights", "seed",
        "number_of_epochs", "training_batch_size", "validation_batch_size", "grad_accumulation_step",
        "early_stopping", "early_stopping_patience", "early_stopping_delay",
        "learning_rate", "lr_scheduler", "step_lr_gamma", "step_lr_step_size",
        "warmup_cosine_lr_cycles", "warmup_cosine_lr_warmup_epochs",
        "optimizer", "momentum", "weight_decay", "nesterov", "beta1", "beta2", "amsgrad",
        "evaluation_frequency", "split_ratio", "checkpoint_frequency", "checkpoint_run_id", "layers_to_freeze",
        "weighted_loss", "valid_resize_size", "valid_crop_size", "train_crop_size",
        // Spool's extension (Azure fixes augmentation): docs/hyperparameters.md.
        "augmentation_crop_scale_min", "augmentation_crop_scale_max", "augmentation_hflip",
        "augmentation_brightness", "augmentation_contrast", "augmentation_saturation", "augmentation_hue",
    ]

    /// Keys of the other tasks -> the tasks (or model) they apply to.
    static let otherTaskNames: [String: String] = {
        let detection = "image_object_detection and image_instance_segmentation"
        let tiling = "image_object_detection"
        let yolo = "the yolov5 model of image_object_detection"
        let mask = "image_instance_segmentation"
        return [
            "validation_metric_type": detection, "validation_iou_threshold": detection,
            "min_size": detection, "max_size": detection, "box_score_thresh": detection,
            "box_nms_thresh": detection, "box_detections_per_img": detection,
            "tile_grid_size": tiling, "tile_overlap_ratio": tiling, "tile_predictions_nms_thresh": tiling,
            "img_size": yolo, "model_size": yolo, "multi_scale": yolo, "box_iou_thresh": yolo,
            "mask_pixel_score_threshold": mask, "max_number_of_polygon_points": mask,
        ]
    }()

    /// `model_name` values of the other tasks -> their task.
    static let otherTaskModels: [String: ImageTask] = {
        var models: [String: ImageTask] = ["yolov5": .imageObjectDetection, "retinanet_resnet50_fpn": .imageObjectDetection]
        for depth in [18, 34, 50, 101, 152] {
            models["fasterrcnn_resnet\(depth)_fpn"] = .imageObjectDetection
            models["maskrcnn_resnet\(depth)_fpn"] = .imageInstanceSegmentation
        }
        return models
    }()

    /// The v1 name for a key given under any spelling.
    static func canonicalName(_ name: String) -> String {
        aliases[name] ?? name
    }

    /// Every spelling a user could have meant, for "did you mean" suggestions.
    static var allSpellings: [String] {
        classificationNames + Array(aliases.keys) + Array(otherTaskNames.keys)
    }
}
