extension TrainingParameters {
    /// The v1 names a classification task accepts, in the order of spec section 5.
    public static var parameterNames: [String] { ParameterTable.names(task: .imageClassification, model: .resnet18) }

    /// The v1 name for a parameter given under a v2 alias (`learning_rate_scheduler` -> `lr_scheduler`);
    /// other names come back unchanged.
    public static func canonicalName(_ name: String) -> String {
        ParameterTable.canonicalName(name)
    }

    /// Applies the defaults of `task` and of the chosen `model_name` to `values`, and validates them all.
    ///
    /// Keys may be v1 names or their v2 aliases; numbers may be strings; flags may be 0/1 or true/false;
    /// null means "the default". Every problem (bad value, unknown key, key of another task, inconsistent
    /// crop sizes) is collected into one `SettingsError`.
    public static func resolve(
        task: ImageTask, values: [String: SettingValue]
    ) throws(SettingsError) -> TrainingParameters {
        let entries = values.keys.sorted().map { ParameterEntry(name: $0, value: values[$0]!) }
        return try resolve(task: task, entries: entries)
    }

    static func resolve(task: ImageTask, entries: [ParameterEntry]) throws(SettingsError) -> TrainingParameters {
        var duplicates: [SettingsProblem] = []
        var byName: [String: ParameterEntry] = [:]
        for entry in entries {
            let name = ParameterTable.canonicalName(entry.name)
            if let earlier = byName[name] {
                let whereEarlier = earlier.location?.line.map { " (line \($0))" } ?? ""
                duplicates.append(SettingsProblem(
                    key: entry.keyPath, value: entry.value,
                    message: "given twice: also as \(earlier.keyPath)\(whereEarlier); keep one",
                    location: entry.location))
            } else {
                byName[name] = entry
            }
        }

        var reader = ParameterReader(entries: byName)
        let chosen = readModel(&reader, task: task)
        let model = chosen ?? ModelCatalog.defaultModel(for: task)
        // yolov5 calls its NMS threshold box_iou_thresh; nms_iou_threshold is the alias of both.
        let nmsKey = model.recipe.nmsThresholdKey
        if nmsKey != "box_nms_thresh", let entry = reader.entries["box_nms_thresh"], entry.name == "nms_iou_threshold" {
            reader.rename("box_nms_thresh", to: nmsKey)
        }
        var parameters = defaults(task: task, model: model)
        parameters.read(from: &reader, task: task, model: model)
        let crossProblems = parameters.crossCheck(reader)

        var problems = duplicates + reader.problems + crossProblems
        for entry in reader.unread.sorted(by: { $0.keyPath < $1.keyPath }) {
            let name = ParameterTable.canonicalName(entry.name)
            let message = if let row = ParameterTable.row(name) {
                "applies only to \(row.scope.description), not to \(task)"
                    + (task.isClassification || row.scope != .yolo && row.scope != .rcnn ? ""
                        : " with \(model)" + (chosen == nil && reader.entries["model_name"] == nil
                            ? " (\(task)'s default model; set model_name to train another)" : ""))
            } else {
                "unknown training parameter"
                    + Suggestion.phrase(for: entry.name, among: ParameterTable.allSpellings)
            }
            problems.append(SettingsProblem(key: entry.keyPath, value: entry.value, message: message, location: entry.location))
        }
        guard problems.isEmpty else {
            throw SettingsError(problems: SettingsError.sortedByLine(problems))
        }
        return parameters
    }

    private static func readModel(_ reader: inout ParameterReader, task: ImageTask) -> ModelName? {
        guard let entry = reader.entry("model_name") else { return nil }
        let names = ModelCatalog.models(for: task).map(\.rawValue)
        let allowed = "\(task) takes one of \(names.joined(separator: ", "))"
        guard let text = entry.value.stringValue else {
            reader.fail(entry, "must be a model name: \(allowed)")
            return nil
        }
        if let model = ModelName(settingsValue: text), model.tasks == ModelCatalog.TaskFamily(task) {
            guard model.catalogEntry.available else {
                let available = ModelCatalog.models(for: task).filter { $0.catalogEntry.available }.map(\.rawValue)
                reader.fail(entry, "is not in this build of Spool yet; \(task) takes one of \(available.joined(separator: ", "))")
                return nil
            }
            return model
        }
        if let other = ModelName(settingsValue: text) {
            let tasks = ImageTask.allCases.filter { ModelCatalog.TaskFamily($0) == other.tasks }.map(\.rawValue)
            reader.fail(entry, "is a model for \(tasks.joined(separator: " and ")), not \(task); \(allowed)")
        } else {
            reader.fail(entry, "unknown model; \(allowed)" + Suggestion.phrase(for: text, among: names))
        }
        return nil
    }

    private mutating func read(from reader: inout ParameterReader, task: ImageTask, model: ModelName) {
        pretrainedWeights = reader.text("pretrained_weights", message: "must be the path of a weight file")
            ?? pretrainedWeights
        seed = reader.int("seed", min: 0) ?? seed

        numberOfEpochs = reader.int("number_of_epochs", min: 1) ?? numberOfEpochs
        trainingBatchSize = reader.int("training_batch_size", min: 1) ?? trainingBatchSize
        validationBatchSize = reader.int("validation_batch_size", min: 1) ?? validationBatchSize
        gradAccumulationStep = reader.int("grad_accumulation_step", min: 1) ?? gradAccumulationStep
        earlyStopping = reader.bool("early_stopping") ?? earlyStopping
        earlyStoppingPatience = reader.int("early_stopping_patience", min: 1) ?? earlyStoppingPatience
        earlyStoppingDelay = reader.int("early_stopping_delay", min: 1) ?? earlyStoppingDelay
        learningRate = reader.double("learning_rate", in: 0...1, lowerOpen: true) ?? learningRate
        lrScheduler = reader.choice("lr_scheduler", LRScheduler.self) ?? lrScheduler
        stepLRGamma = reader.double("step_lr_gamma", in: 0...1) ?? stepLRGamma
        stepLRStepSize = reader.int("step_lr_step_size", min: 1) ?? stepLRStepSize
        warmupCosineLRCycles = reader.double("warmup_cosine_lr_cycles", in: 0...1) ?? warmupCosineLRCycles
        warmupCosineLRWarmupEpochs = reader.int("warmup_cosine_lr_warmup_epochs", min: 0) ?? warmupCosineLRWarmupEpochs
        optimizer = reader.choice("optimizer", Optimizer.self) ?? optimizer
        momentum = reader.double("momentum", in: 0...1) ?? momentum
        weightDecay = reader.double("weight_decay", in: 0...1) ?? weightDecay
        nesterov = reader.bool("nesterov") ?? nesterov
        beta1 = reader.double("beta1", in: 0...1) ?? beta1
        beta2 = reader.double("beta2", in: 0...1) ?? beta2
        amsgrad = reader.bool("amsgrad") ?? amsgrad
        evaluationFrequency = reader.int("evaluation_frequency", min: 1) ?? evaluationFrequency
        splitRatio = reader.double("split_ratio", in: 0...1, open: true) ?? splitRatio
        checkpointFrequency = reader.int("checkpoint_frequency", min: 1) ?? checkpointFrequency
        checkpointRunID = reader.text("checkpoint_run_id", message: "must be the id of an earlier job or trial")
            ?? checkpointRunID
        let groups = model.freezableLayerGroupCount
        layersToFreeze = reader.int(
            "layers_to_freeze", min: 0, max: groups,
            message: "must be an integer in [0, \(groups)]: \(model) has \(groups) layer groups") ?? layersToFreeze

        if let entry = reader.entry("weighted_loss") {
            if let mode = entry.value.coercedInt.flatMap(WeightedLoss.init(rawValue:)) {
                weightedLoss = mode
            } else {
                reader.fail(entry, "must be 0 (none), 1 (square root of class weights) or 2 (class weights)")
            }
        }
        guard task.isClassification else { return readDetection(from: &reader, task: task, model: model) }
        validResizeSize = reader.int("valid_resize_size", min: 1) ?? validResizeSize
        validCropSize = reader.int("valid_crop_size", min: 1) ?? validCropSize
        trainCropSize = reader.int("train_crop_size", min: 1) ?? trainCropSize
        augmentationCropScaleMin = reader.double("augmentation_crop_scale_min", in: 0.01...1) ?? augmentationCropScaleMin
        augmentationCropScaleMax = reader.double("augmentation_crop_scale_max", in: 0...1) ?? augmentationCropScaleMax
        augmentationHorizontalFlip = reader.double("augmentation_hflip", in: 0...1) ?? augmentationHorizontalFlip
        augmentationBrightness = reader.double("augmentation_brightness", in: 0...1) ?? augmentationBrightness
        augmentationContrast = reader.double("augmentation_contrast", in: 0...1) ?? augmentationContrast
        augmentationSaturation = reader.double("augmentation_saturation", in: 0...1) ?? augmentationSaturation
        augmentationHue = reader.double("augmentation_hue", in: 0...0.5) ?? augmentationHue
    }

    /// The keys of detection, segmentation and yolov5 (only the rows of `ParameterTable` that apply).
    private mutating func readDetection(from reader: inout ParameterReader, task: ImageTask, model: ModelName) {
        func applies(_ name: String) -> Bool { ParameterTable.row(name)?.scope.applies(task: task, model: model) ?? false }
        augmentationHorizontalFlip = reader.double("augmentation_hflip", in: 0...1) ?? augmentationHorizontalFlip
        augmentationBrightness = reader.double("augmentation_brightness", in: 0...1) ?? augmentationBrightness
        augmentationContrast = reader.double("augmentation_contrast", in: 0...1) ?? augmentationContrast
        augmentationSaturation = reader.double("augmentation_saturation", in: 0...1) ?? augmentationSaturation
        augmentationHue = reader.double("augmentation_hue", in: 0...0.5) ?? augmentationHue
        validationMetricType = reader.choice("validation_metric_type", ValidationMetricType.self) ?? validationMetricType
        validationIoUThreshold = reader.double("validation_iou_threshold", in: 0.1...1) ?? validationIoUThreshold
        boxScoreThresh = reader.double("box_score_thresh", in: 0...1) ?? boxScoreThresh
        boxDetectionsPerImg = reader.int("box_detections_per_img", min: 1) ?? boxDetectionsPerImg
        if applies("min_size") {
            augmentationExpand = reader.double("augmentation_expand", in: 0...1) ?? augmentationExpand
            augmentationCrop = reader.double("augmentation_crop", in: 0...1) ?? augmentationCrop
            augmentationPhotometric = reader.double("augmentation_photometric", in: 0...1) ?? augmentationPhotometric
            minSize = reader.int("min_size", min: 1) ?? minSize
            maxSize = reader.int("max_size", min: 1) ?? maxSize
            boxNMSThresh = reader.double("box_nms_thresh", in: 0...1) ?? boxNMSThresh
        }
        if applies("tile_grid_size") {
            if let entry = reader.entry("tile_grid_size") {
                if let grid = Self.tileGrid(entry.value) { tileGridSize = grid } else {
                    reader.fail(entry, "must be columns and rows, as \"(3, 2)\" or \"3x2\" (each from 1 to 10)")
                }
            }
            tileOverlapRatio = reader.double("tile_overlap_ratio", in: 0...1) ?? tileOverlapRatio
            if tileOverlapRatio >= 1, let entry = reader.entries["tile_overlap_ratio"] {
                reader.fail(entry, "must be a number in [0, 1): tiles that overlap entirely never move")
                tileOverlapRatio = 0.25
            }
            tilePredictionsNMSThresh = reader.double("tile_predictions_nms_thresh", in: 0...1) ?? tilePredictionsNMSThresh
        }
        if applies("img_size") {
            if let size = reader.int("img_size", min: 32) {
                // Up to a multiple of the largest stride, as Ultralytics' check_img_size does.
                imgSize = (size + 31) / 32 * 32
            }
            if let entry = reader.entries["model_size"], entry.value.stringValue?.lowercased() == "extra_large" {
                _ = reader.entry("model_size")  // Azure's other spelling of xlarge
                modelSize = .xlarge
            } else {
                modelSize = reader.choice("model_size", ModelSize.self) ?? modelSize
            }
            multiScale = reader.bool("multi_scale") ?? multiScale
            boxIoUThresh = reader.double("box_iou_thresh", in: 0...1) ?? boxIoUThresh
            augmentationMosaic = reader.double("augmentation_mosaic", in: 0...1) ?? augmentationMosaic
            nominalBatchSize = reader.int("nominal_batch_size", min: 1) ?? nominalBatchSize
            augmentationDegrees = reader.double("augmentation_degrees", in: 0...180) ?? augmentationDegrees
            augmentationTranslate = reader.double("augmentation_translate", in: 0...0.5) ?? augmentationTranslate
            augmentationScale = reader.double("augmentation_scale", in: 0...0.9) ?? augmentationScale
            augmentationShear = reader.double("augmentation_shear", in: 0...45) ?? augmentationShear
            augmentationHSVHue = reader.double("augmentation_hsv_h", in: 0...1) ?? augmentationHSVHue
            augmentationHSVSaturation = reader.double("augmentation_hsv_s", in: 0...1) ?? augmentationHSVSaturation
            augmentationHSVValue = reader.double("augmentation_hsv_v", in: 0...1) ?? augmentationHSVValue
        }
        if applies("mask_pixel_score_threshold") {
            maskPixelScoreThreshold = reader.double("mask_pixel_score_threshold", in: 0...1) ?? maskPixelScoreThreshold
            maxNumberOfPolygonPoints = reader.int("max_number_of_polygon_points", min: 3) ?? maxNumberOfPolygonPoints
        }
    }

    /// `"(3, 2)"`, `"3x2"`, `[3, 2]`: columns and rows, each 1 to 10.
    static func tileGrid(_ value: SettingValue) -> TileGrid? {
        var numbers: [Int] = []
        if case let .list(items) = value {
            numbers = items.compactMap(\.coercedInt)
            guard numbers.count == items.count else { return nil }
        } else if let text = value.stringValue {
            let digits = text.split { !$0.isNumber }.compactMap { Int($0) }
            let cleaned = text.replacingOccurrences(of: " ", with: "").lowercased()
            guard cleaned.range(of: #"^\(?\d+(,|x)\d+\)?$"#, options: .regularExpression) != nil else { return nil }
            numbers = digits
        }
        guard numbers.count == 2, (1...10).contains(numbers[0]), (1...10).contains(numbers[1]),
              numbers[0] * numbers[1] >= 2 else { return nil }
        return TileGrid(columns: numbers[0], rows: numbers[1])
    }

    /// Rules between keys: a ViT's validation crop equals its training crop; a crop fits in its resize.
    private func crossCheck(_ reader: ParameterReader) -> [SettingsProblem] {
        var problems: [SettingsProblem] = []
        let sizeKeys = ["valid_resize_size", "valid_crop_size", "train_crop_size"]
        guard !sizeKeys.contains(where: reader.hasProblem) else { return [] }
        let validCrop = reader.entries["valid_crop_size"], trainCrop = reader.entries["train_crop_size"]
        if modelName.isViT, validCropSize != trainCropSize, let blamed = validCrop ?? trainCrop {
            let other = blamed == validCrop ? "train_crop_size (\(trainCropSize))" : "valid_crop_size (\(validCropSize))"
            problems.append(SettingsProblem(
                key: blamed.keyPath, value: blamed.value,
                message: "must equal \(other) for ViT models such as \(modelName)", location: blamed.location))
        }
        if let patch = modelName.recipe.patchSize, trainCropSize % patch != 0, let blamed = trainCrop ?? validCrop {
            problems.append(SettingsProblem(
                key: blamed.keyPath, value: blamed.value,
                message: "must be a multiple of \(patch) (the patch size) for ViT models such as \(modelName)", location: blamed.location))
        }
        if augmentationCropScaleMin > augmentationCropScaleMax,
           let blamed = reader.entries["augmentation_crop_scale_min"] ?? reader.entries["augmentation_crop_scale_max"] {
            problems.append(SettingsProblem(
                key: blamed.keyPath, value: blamed.value,
                message: "augmentation_crop_scale_min (\(augmentationCropScaleMin)) must be <= augmentation_crop_scale_max (\(augmentationCropScaleMax))",
                location: blamed.location))
        }
        if validCropSize > validResizeSize, let blamed = validCrop ?? reader.entries["valid_resize_size"] {
            let message = blamed == validCrop
                ? "must be <= valid_resize_size (\(validResizeSize)): the crop is cut from the resized image"
                : "must be >= valid_crop_size (\(validCropSize)): the crop is cut from the resized image"
            problems.append(SettingsProblem(key: blamed.keyPath, value: blamed.value, message: message, location: blamed.location))
        }
        return problems
    }
}
