import Foundation
import Testing
@testable import SpoolCore

/// Resolves for `task` (multiclass when omitted).
private func resolve(_ task: ImageTask, _ values: [String: SettingValue]) throws -> TrainingParameters {
    try TrainingParameters.resolve(task: task, values: values)
}

private func resolve(_ values: [String: SettingValue]) throws -> TrainingParameters {
    try resolve(.imageClassification, values)
}

private func problems(_ values: [String: SettingValue]) -> SettingsError? {
    problems(.imageClassification, values)
}

/// The error of a resolution that must fail; nil when it succeeds.
private func problems(_ task: ImageTask, _ values: [String: SettingValue]) -> SettingsError? {
    do {
        _ = try TrainingParameters.resolve(task: task, values: values)
        return nil
    } catch {
        return error
    }
}

struct DefaultsCase: Sendable, CustomStringConvertible {
    var task: ImageTask
    var model: ModelName
    var batchSize: Int
    var learningRate: Double
    var description: String { "\(task) \(model)" }
}

@Suite struct TrainingParametersDefaultsTests {
    // The "default" column of spec section 5, typed from the table.
    static let cases: [DefaultsCase] = [
        .init(task: .imageClassification, model: .resnet18, batchSize: 78, learningRate: 0.01),
        .init(task: .imageClassification, model: .mobilenetv2, batchSize: 78, learningRate: 0.01),
        .init(task: .imageClassification, model: .seresnext, batchSize: 78, learningRate: 0.01),
        .init(task: .imageClassification, model: .vits16r224, batchSize: 128, learningRate: 0.0125),
        .init(task: .imageClassification, model: .vitb16r224, batchSize: 48, learningRate: 0.0125),
        .init(task: .imageClassification, model: .vitl16r224, batchSize: 10, learningRate: 0.001),
        .init(task: .imageClassificationMultilabel, model: .resnet18, batchSize: 78, learningRate: 0.035),
        .init(task: .imageClassificationMultilabel, model: .resnest101, batchSize: 78, learningRate: 0.035),
        .init(task: .imageClassificationMultilabel, model: .vits16r224, batchSize: 128, learningRate: 0.025),
        .init(task: .imageClassificationMultilabel, model: .vitb16r224, batchSize: 48, learningRate: 0.025),
        .init(task: .imageClassificationMultilabel, model: .vitl16r224, batchSize: 10, learningRate: 0.002),
    ]

    @Test(arguments: cases)
    func defaultsPerTaskAndModel(_ expected: DefaultsCase) throws {
        let p = try resolve(expected.task, ["model_name": .string(expected.model.rawValue)])
        #expect(p.modelName == expected.model)
        #expect(p.trainingBatchSize == expected.batchSize)
        #expect(p.validationBatchSize == expected.batchSize)
        #expect(p.learningRate == expected.learningRate)
        // Model-agnostic defaults.
        #expect(p.numberOfEpochs == 15)
        #expect(p.gradAccumulationStep == 1)
        #expect(p.earlyStopping == true)
        #expect(p.earlyStoppingPatience == 5)
        #expect(p.earlyStoppingDelay == 5)
        #expect(p.lrScheduler == .warmupCosine)
        #expect(p.stepLRGamma == 0.5)
        #expect(p.stepLRStepSize == 5)
        #expect(p.warmupCosineLRCycles == 0.45)
        #expect(p.warmupCosineLRWarmupEpochs == 2)
        #expect(p.optimizer == .sgd)
        #expect(p.momentum == 0.9)
        #expect(p.weightDecay == 1e-4)
        #expect(p.nesterov == true)
        #expect(p.beta1 == 0.9)
        #expect(p.beta2 == 0.999)
        #expect(p.amsgrad == false)
        #expect(p.evaluationFrequency == 1)
        #expect(p.splitRatio == 0.2)
        #expect(p.checkpointFrequency == nil)
        #expect(p.checkpointRunID == nil)
        #expect(p.layersToFreeze == nil)
        #expect(p.pretrainedWeights == nil)
        #expect(p.seed == nil)
        // Classification-specific defaults.
        #expect(p.weightedLoss == .off)
        #expect(p.validResizeSize == 256)
        #expect(p.validCropSize == 224)
        #expect(p.trainCropSize == 224)
    }

    @Test func defaultModelIsViTBase() throws {
        let multiclass = try resolve(.imageClassification, [:])
        #expect(multiclass.modelName == .vitb16r224)
        #expect(multiclass.trainingBatchSize == 48)
        #expect(multiclass.learningRate == 0.0125)
        let multilabel = try resolve(.imageClassificationMultilabel, [:])
        #expect(multilabel.learningRate == 0.025)
    }

    @Test func givenValuesOverrideModelDefaults() throws {
        let p = try resolve(.imageClassification, ["model_name": "vitl16r224", "learning_rate": 0.05, "training_batch_size": 4])
        #expect(p.learningRate == 0.05)
        #expect(p.trainingBatchSize == 4)
        #expect(p.validationBatchSize == 10, "an unset validation batch keeps the model's default")
    }
}

struct BadValueCase: Sendable, CustomStringConvertible {
    var key: String
    var value: SettingValue
    var allowed: String
    var description: String { "\(key) = \(value)" }
}

@Suite struct TrainingParametersValidationTests {
    // One bad value for every key, with the "valid" column it must quote.
    static let badValues: [BadValueCase] = [
        .init(key: "number_of_epochs", value: 0, allowed: "must be an integer > 0"),
        .init(key: "number_of_epochs", value: 2.5, allowed: "must be an integer > 0"),
        .init(key: "training_batch_size", value: -1, allowed: "must be an integer > 0"),
        .init(key: "validation_batch_size", value: "many", allowed: "must be an integer > 0"),
        .init(key: "grad_accumulation_step", value: 0, allowed: "must be an integer > 0"),
        .init(key: "early_stopping", value: 2, allowed: "must be 0 or 1"),
        .init(key: "early_stopping", value: "maybe", allowed: "must be 0 or 1"),
        .init(key: "early_stopping_patience", value: 0, allowed: "must be an integer > 0"),
        .init(key: "early_stopping_delay", value: -3, allowed: "must be an integer > 0"),
        .init(key: "learning_rate", value: 2.5, allowed: "must be a number in (0, 1]"),
        .init(key: "learning_rate", value: -0.1, allowed: "must be a number in (0, 1]"),
        .init(key: "learning_rate", value: true, allowed: "must be a number in (0, 1]"),
        .init(key: "learning_rate", value: 0, allowed: "must be a number in (0, 1]"),
        .init(key: "lr_scheduler", value: "cosine", allowed: "must be one of warmup_cosine, step"),
        .init(key: "step_lr_gamma", value: 1.5, allowed: "must be a number in [0, 1]"),
        .init(key: "step_lr_step_size", value: 0, allowed: "must be an integer > 0"),
        .init(key: "warmup_cosine_lr_cycles", value: 2, allowed: "must be a number in [0, 1]"),
        .init(key: "warmup_cosine_lr_warmup_epochs", value: -1, allowed: "must be an integer >= 0"),
        .init(key: "optimizer", value: "rmsprop", allowed: "must be one of sgd, adam, adamw"),
        .init(key: "momentum", value: 1.01, allowed: "must be a number in [0, 1]"),
        .init(key: "weight_decay", value: "lots", allowed: "must be a number in [0, 1]"),
        .init(key: "nesterov", value: 5, allowed: "must be 0 or 1"),
        .init(key: "beta1", value: -1, allowed: "must be a number in [0, 1]"),
        .init(key: "beta2", value: 3, allowed: "must be a number in [0, 1]"),
        .init(key: "amsgrad", value: [1], allowed: "must be 0 or 1"),
        .init(key: "evaluation_frequency", value: 0, allowed: "must be an integer > 0"),
        .init(key: "split_ratio", value: 0, allowed: "must be a number in (0, 1)"),
        .init(key: "augmentation_crop_scale_min", value: 0, allowed: "must be a number in [0.01, 1]"),
        .init(key: "augmentation_crop_scale_max", value: 1.5, allowed: "must be a number in [0, 1]"),
        .init(key: "augmentation_hflip", value: -0.5, allowed: "must be a number in [0, 1]"),
        .init(key: "augmentation_brightness", value: 2, allowed: "must be a number in [0, 1]"),
        .init(key: "augmentation_contrast", value: "lots", allowed: "must be a number in [0, 1]"),
        .init(key: "augmentation_saturation", value: 1.1, allowed: "must be a number in [0, 1]"),
        .init(key: "augmentation_hue", value: 0.6, allowed: "must be a number in [0, 0.5]"),
        .init(key: "split_ratio", value: 1, allowed: "must be a number in (0, 1)"),
        .init(key: "checkpoint_frequency", value: 0, allowed: "must be an integer > 0"),
        .init(key: "checkpoint_run_id", value: "", allowed: "must be the id of an earlier job or trial"),
        .init(key: "layers_to_freeze", value: -1, allowed: "must be an integer in [0, 13]"),
        .init(key: "layers_to_freeze", value: 14, allowed: "must be an integer in [0, 13]"),
        .init(key: "weighted_loss", value: 3, allowed: "must be 0 (none), 1 (square root of class weights) or 2"),
        .init(key: "valid_resize_size", value: 0, allowed: "must be an integer > 0"),
        .init(key: "valid_crop_size", value: "big", allowed: "must be an integer > 0"),
        .init(key: "train_crop_size", value: -224, allowed: "must be an integer > 0"),
        .init(key: "model_name", value: "resnet19", allowed: "unknown model; image_classification takes one of mobilenetv2"),
        .init(key: "model_name", value: 5, allowed: "must be a model name"),
        .init(key: "pretrained_weights", value: 1.5, allowed: "must be the path of a weight file"),
        .init(key: "seed", value: -1, allowed: "must be an integer >= 0"),
    ]

    @Test(arguments: badValues)
    func badValueNamesKeyValueAndAllowed(_ bad: BadValueCase) throws {
        let error = try #require(problems([bad.key: bad.value]))
        #expect(error.problems.count == 1, "\(error)")
        let problem = try #require(error.problem(forKey: "training_parameters.\(bad.key)"), "\(error)")
        #expect(problem.value == bad.value)
        #expect(problem.message.contains(bad.allowed), "\(problem.message)")
        #expect(problem.description.hasPrefix("training_parameters.\(bad.key) = \(bad.value): "))
    }

    @Test func everyKeyHasABadValueCase() {
        #expect(Set(Self.badValues.map(\.key)) == Set(TrainingParameters.parameterNames))
    }

    @Test func allProblemsAtOnce() throws {
        let error = try #require(problems([
            "learning_rate": 2.5, "optimizer": "sgdd", "number_of_epochs": 0, "min_size": 600, "learnin_rate": 0.1,
        ]))
        let keys = Set(error.problems.map(\.key))
        #expect(keys == [
            "training_parameters.learning_rate", "training_parameters.optimizer", "training_parameters.number_of_epochs",
            "training_parameters.min_size", "training_parameters.learnin_rate",
        ])
        #expect(error.description.split(separator: "\n").count == 5)
        #expect(error.description.contains("training_parameters.learning_rate = 2.5: must be a number in (0, 1]"))
        #expect(error.problem(forKey: "training_parameters.optimizer")?.message.contains("did you mean sgd?") == true)
    }

    @Test func unknownKeyGetsASuggestion() throws {
        let error = try #require(problems(["learnig_rate": 0.1]))
        let problem = try #require(error.problem(forKey: "training_parameters.learnig_rate"))
        #expect(problem.message == "unknown training parameter; did you mean learning_rate?")
    }

    @Test func unknownKeyFarFromAnyNameHasNoSuggestion() throws {
        let error = try #require(problems(["colour_palette": 3]))
        #expect(error.problems.first?.message == "unknown training parameter")
    }

    @Test func detectionKeysAreRefusedNamingTheTask() throws {
        let error = try #require(problems(.imageClassificationMultilabel, [
            "min_size": 600, "box_score_threshold": 0.3, "model_size": "small", "tile_grid_size": "3x2",
        ]))
        #expect(error.problems.count == 4)
        for problem in error.problems {
            #expect(problem.message.hasSuffix("not to image_classification_multilabel"), "\(problem)")
        }
        #expect(error.problem(forKey: "training_parameters.min_size")?.message
            == "applies only to image_object_detection and image_instance_segmentation (not yolov5), not to image_classification_multilabel")
        #expect(error.problem(forKey: "training_parameters.model_size")?.message.contains("yolov5") == true)
    }

    @Test func detectionModelIsRefusedNamingItsTask() throws {
        let error = try #require(problems(["model_name": "yolov5"]))
        #expect(error.problems.first?.message.hasPrefix("is a model for image_object_detection, not image_classification") == true)
    }

    @Test func misspeltModelGetsASuggestion() throws {
        let error = try #require(problems(["model_name": "vitb16r22"]))
        #expect(error.problems.first?.message.hasSuffix("did you mean vitb16r224?") == true)
    }

    @Test func vitCropsMustBeEqual() throws {
        let error = try #require(problems(["model_name": "vits16r224", "valid_crop_size": 192, "train_crop_size": 224]))
        let problem = try #require(error.problem(forKey: "training_parameters.valid_crop_size"))
        #expect(problem.message == "must equal train_crop_size (224) for ViT models such as vits16r224")
        // Only the training crop given: it is the one blamed.
        let trainOnly = try #require(problems(["train_crop_size": 256, "valid_resize_size": 288]))
        #expect(trainOnly.problem(forKey: "training_parameters.train_crop_size")?.message
            == "must equal valid_crop_size (224) for ViT models such as vitb16r224")
        // A crop that is not a whole number of the recipe's patches.
        let unpatched = try #require(problems(["train_crop_size": 232, "valid_crop_size": 232, "valid_resize_size": 256]))
        #expect(unpatched.problem(forKey: "training_parameters.train_crop_size")?.message
            == "must be a multiple of 16 (the patch size) for ViT models such as vitb16r224")
        // Other models may differ.
        let resnet = try resolve(["model_name": "resnet50", "valid_crop_size": 192, "train_crop_size": 224])
        #expect(resnet.validCropSize == 192)
        #expect(resnet.trainCropSize == 224)
    }

    @Test func cropMustFitInResize() throws {
        let error = try #require(problems(["model_name": "resnet18", "valid_crop_size": 300, "train_crop_size": 300]))
        #expect(error.problem(forKey: "training_parameters.valid_crop_size")?.message.hasPrefix("must be <= valid_resize_size (256)") == true)
        let resize = try #require(problems(["model_name": "resnet18", "valid_resize_size": 200]))
        #expect(resize.problem(forKey: "training_parameters.valid_resize_size")?.message.hasPrefix("must be >= valid_crop_size (224)") == true)
        #expect(try resolve(["model_name": "resnet18", "valid_resize_size": 224]).validResizeSize == 224)
    }

    @Test func layersToFreezeDependsOnTheModel() throws {
        #expect(try resolve(["model_name": "mobilenetv2", "layers_to_freeze": 19]).layersToFreeze == 19)
        let error = try #require(problems(["model_name": "resnet50", "layers_to_freeze": 6]))
        #expect(error.problems.first?.message == "must be an integer in [0, 5]: resnet50 has 5 layer groups")
    }

    @Test func nullMeansTheDefault() throws {
        let p = try resolve(["learning_rate": .null, "checkpoint_frequency": .null])
        #expect(p.learningRate == 0.0125)
        #expect(p.checkpointFrequency == nil)
    }

    @Test func detectionTasksTakeSectionFivesDefaults() throws {
        let faster = try TrainingParameters.resolve(task: .imageObjectDetection, values: ["model_name": "fasterrcnn_resnet50_fpn"])
        #expect(faster.numberOfEpochs == 15 && faster.trainingBatchSize == 2 && faster.validationBatchSize == 1)
        #expect(faster.learningRate == 0.005 && faster.minSize == 600 && faster.maxSize == 1333)
        #expect(faster.boxScoreThresh == 0.3 && faster.boxNMSThresh == 0.5 && faster.boxDetectionsPerImg == 100)
        #expect(faster.validationMetricType == .voc && faster.validationIoUThreshold == 0.5)
        #expect(faster.tileGridSize == nil && faster.tileOverlapRatio == 0.25 && faster.tilePredictionsNMSThresh == 0.25)
        let bad = try #require(problems(.imageObjectDetection, ["model_name": "fasterrcnn_resnet18_fpn", "validation_iou_threshold": 0.05,
                                                               "tile_grid_size": "3 by 2", "validation_metric_type": "map"]))
        #expect(bad.problems.count == 3, "\(bad.problems)")
        #expect(bad.problem(forKey: "training_parameters.tile_grid_size")?.message.contains("\"(3, 2)\" or \"3x2\"") == true)
        // yolov5's own keys belong to yolov5 only.
        let yoloKey = try #require(problems(.imageObjectDetection, ["model_name": "fasterrcnn_resnet18_fpn", "model_size": "small"]))
        #expect(yoloKey.problems.first?.message.contains("yolov5") == true)
    }

    @Test func yoloV5TakesItsDefaultsAndAugmentationKeys() throws {
        let yolo = try TrainingParameters.resolve(task: .imageObjectDetection, values: ["model_name": "yolov5"])
        #expect(yolo.numberOfEpochs == 30 && yolo.trainingBatchSize == 16 && yolo.learningRate == 0.01)
        #expect(yolo.imgSize == 640 && yolo.modelSize == .medium && yolo.engineModelName == "yolov5m")
        #expect(yolo.boxScoreThresh == 0.1 && yolo.boxIoUThresh == 0.5 && yolo.nominalBatchSize == 64)
        #expect(yolo.augmentationMosaic == 1 && yolo.augmentationTranslate == 0.1 && yolo.augmentationScale == 0.5)
        let set = try TrainingParameters.resolve(task: .imageObjectDetection, values: [
            "model_name": "yolov5", "model_size": "xlarge", "img_size": 300, "augmentation_mosaic": 0.5,
            "augmentation_degrees": 10, "augmentation_hsv_v": 0.2, "nominal_batch_size": 8, "nms_iou_threshold": 0.6])
        #expect(set.engineModelName == "yolov5x" && set.imgSize == 320 && set.augmentationMosaic == 0.5)
        #expect(set.augmentationDegrees == 10 && set.augmentationHSVValue == 0.2 && set.nominalBatchSize == 8 && set.boxIoUThresh == 0.6)
        let azure = try TrainingParameters.resolve(task: .imageObjectDetection, values: ["model_name": "yolov5", "model_size": "extra_large"])
        #expect(azure.engineModelName == "yolov5x")
        let bad = try #require(problems(.imageObjectDetection, ["model_name": "yolov5", "augmentation_translate": 0.9,
                                                               "augmentation_mosaic": 2]))
        #expect(bad.problems.count == 2, "\(bad.problems)")
        // Faster R-CNN has no mosaic.
        let other = try #require(problems(.imageObjectDetection, ["model_name": "fasterrcnn_resnet18_fpn", "augmentation_mosaic": 0]))
        #expect(other.problems.first?.message.contains("yolov5") == true)
    }
}

@Suite struct TrainingParametersLeniencyTests {
    @Test func v2AliasesAreAccepted() throws {
        let p = try resolve([
            "model_name": "resnet18",
            "gradient_accumulation_step": 4, "learning_rate_scheduler": "step", "ams_gradient": true,
            "validation_data_size": 0.3, "validation_resize_size": 288, "validation_crop_size": 256,
            "training_crop_size": 192,
        ])
        #expect(p.gradAccumulationStep == 4)
        #expect(p.lrScheduler == .step)
        #expect(p.amsgrad)
        #expect(p.splitRatio == 0.3)
        #expect(p.validResizeSize == 288)
        #expect(p.validCropSize == 256)
        #expect(p.trainCropSize == 192)
        #expect(try resolve(["validation_size": 0.1]).splitRatio == 0.1)
        #expect(TrainingParameters.canonicalName("ams_gradient") == "amsgrad")
        #expect(TrainingParameters.canonicalName("momentum") == "momentum")
    }

    @Test func aKeyGivenUnderTwoSpellingsIsAnError() throws {
        let error = try #require(problems(["lr_scheduler": "step", "learning_rate_scheduler": "warmup_cosine"]))
        #expect(error.problems.count == 1)
        #expect(error.problems.first?.message.hasPrefix("given twice") == true)
    }

    @Test(arguments: [SettingValue.bool(true), 1, "true", "1", "True", "yes"])
    func truthyFlags(_ value: SettingValue) throws {
        let p = try resolve(["amsgrad": value, "nesterov": value])
        #expect(p.amsgrad)
        #expect(p.nesterov)
    }

    @Test(arguments: [SettingValue.bool(false), 0, "false", "0", 0.0])
    func falsyFlags(_ value: SettingValue) throws {
        let p = try resolve(["early_stopping": value, "nesterov": value])
        #expect(!p.earlyStopping)
        #expect(!p.nesterov)
    }

    @Test func numbersGivenAsStrings() throws {
        let p = try resolve([
            "learning_rate": "0.001", "number_of_epochs": "30", "weight_decay": "1e-5", "weighted_loss": "2",
            "checkpoint_frequency": 5.0, "checkpoint_run_id": 1234, "seed": "7",
        ])
        #expect(p.learningRate == 0.001)
        #expect(p.numberOfEpochs == 30)
        #expect(p.weightDecay == 1e-5)
        #expect(p.weightedLoss == .inverseFrequency)
        #expect(p.checkpointFrequency == 5)
        #expect(p.checkpointRunID == "1234")
        #expect(p.seed == 7)
    }

    @Test func enumSpellingsOfTheV2SDK() throws {
        let p = try resolve(["lr_scheduler": "WarmupCosine", "optimizer": "AdamW", "model_name": "ResNet50"])
        #expect(p.lrScheduler == .warmupCosine)
        #expect(p.optimizer == .adamw)
        #expect(p.modelName == .resnet50)
    }

    @Test func encodesWithV1Names() throws {
        var p = try resolve(["model_name": "resnet34", "checkpoint_frequency": 3])
        p.pretrainedWeights = "weights/resnet34.safetensors"
        let data = try JSONEncoder().encode(p)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["number_of_epochs"] as? Int == 15)
        #expect(object["lr_scheduler"] as? String == "warmup_cosine")
        #expect(object["model_name"] as? String == "resnet34")
        #expect(object["weighted_loss"] as? Int == 0)
        #expect(object["checkpoint_frequency"] as? Int == 3)
        #expect(object["warmup_cosine_lr_warmup_epochs"] as? Int == 2)
        #expect(try JSONDecoder().decode(TrainingParameters.self, from: data) == p)
    }

    @Test func parameterNamesCoverEveryCodingKey() {
        // Every field that is encoded can be given in settings, under the same name: the table has a row for each.
        let encoded = Set(TrainingParameters.CodingKeys.allCases.map(\.rawValue))
        #expect(Set(ParameterTable.rows.map(\.name)) == encoded)
    }
}
