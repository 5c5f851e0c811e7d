extension TrainingParameters {
    /// The v1 names a classification task accepts, in the order of spec section 5.
    public static var parameterNames: [String] { HyperparameterCatalog.classificationNames }

    /// The v1 name for a parameter given under a v2 alias (`learning_rate_scheduler` -> `lr_scheduler`);
    /// other names come back unchanged.
    public static func canonicalName(_ name: String) -> String {
        HyperparameterCatalog.canonicalName(name)
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
        guard task.isClassification else {
            throw SettingsError(problems: [SettingsProblem(
                key: "task", value: .string(task.rawValue),
                message: "training \(task) is not available yet: Spool trains image_classification and "
                    + "image_classification_multilabel")])
        }
        var duplicates: [SettingsProblem] = []
        var byName: [String: ParameterEntry] = [:]
        for entry in entries {
            let name = HyperparameterCatalog.canonicalName(entry.name)
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
        let model = readModel(&reader, task: task) ?? .defaultModel
        var parameters = defaults(task: task, model: model)
        parameters.read(from: &reader, model: model)
        let crossProblems = parameters.crossCheck(reader)

        var problems = duplicates + reader.problems + crossProblems
        for entry in reader.unread.sorted(by: { $0.keyPath < $1.keyPath }) {
            let name = HyperparameterCatalog.canonicalName(entry.name)
            let message = if let tasks = HyperparameterCatalog.otherTaskNames[name] {
                "applies only to \(tasks), not to \(task)"
            } else {
                "unknown training parameter"
                    + Suggestion.phrase(for: entry.name, among: HyperparameterCatalog.allSpellings)
            }
            problems.append(SettingsProblem(key: entry.keyPath, value: entry.value, message: message, location: entry.location))
        }
        guard problems.isEmpty else {
            throw SettingsError(problems: SettingsError.sortedByLine(problems))
        }
        return parameters
    }

    private static func readModel(_ reader: inout ParameterReader, task: ImageTask) -> ClassificationModel? {
        guard let entry = reader.entry("model_name") else { return nil }
        let names = ClassificationModel.allCases.map(\.rawValue)
        let allowed = "\(task) takes one of \(names.joined(separator: ", "))"
        guard let text = entry.value.stringValue else {
            reader.fail(entry, "must be a model name: \(allowed)")
            return nil
        }
        if let model = ClassificationModel(settingsValue: text) { return model }
        if let other = HyperparameterCatalog.otherTaskModels[text.lowercased()] {
            reader.fail(entry, "is a model for \(other), not \(task); \(allowed)")
        } else {
            reader.fail(entry, "unknown model; \(allowed)" + Suggestion.phrase(for: text, among: names))
        }
        return nil
    }

    private mutating func read(from reader: inout ParameterReader, model: ClassificationModel) {
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
        if modelName.isViT, trainCropSize % 16 != 0, let blamed = trainCrop ?? validCrop {
            problems.append(SettingsProblem(
                key: blamed.keyPath, value: blamed.value,
                message: "must be a multiple of 16 (the patch size) for ViT models such as \(modelName)", location: blamed.location))
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
