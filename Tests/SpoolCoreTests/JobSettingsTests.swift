import Foundation
import Testing
@testable import SpoolCore

private func parse(_ text: String, json: Bool = false) throws -> JobSettings {
    try JobSettings.parse(text, file: "settings.yaml", json: json)
}

/// The error of settings that must be refused; nil when they are accepted.
private func failure(_ text: String, json: Bool = false) -> SettingsError? {
    do {
        _ = try JobSettings.parse(text, file: "settings.yaml", json: json)
        return nil
    } catch {
        return error
    }
}

@Suite struct JobSettingsTests {
    @Test func readsTheShapeOfAzureV2() throws {
        let settings = try parse("""
            $schema: https://azuremlsdk2.blob.core.windows.net/preview/0.0.1/autoMLJob.schema.json
            type: automl
            experiment_name: fridge
            compute: azureml:gpu-cluster
            task: image_classification
            primary_metric: accuracy
            target_column_name: label
            training_data: {path: data/train.jsonl, type: mltable}
            validation_data:
              path: ./data/valid.jsonl
            limits:
              timeout_minutes: 60
              max_trials: 10
              max_concurrent_trials: 2
            training_parameters:
              early_stopping: True
              evaluation_frequency: 1
              model_name: resnet50
            sweep:
              sampling_algorithm: random
              early_termination:
                type: bandit
                evaluation_interval: 2
                slack_factor: 0.2
                delay_evaluation: 6
            search_space:
              - model_name: {type: choice, values: [resnet50]}
                learning_rate: {type: uniform, min_value: 0.0001, max_value: 0.01}
              - model_name: {type: choice, values: [vitb16r224]}
                optimizer: "choice('sgd', 'adam', 'adamw')"
            """)
        #expect(settings.task == .imageClassification)
        #expect(settings.primaryMetric == "accuracy")
        #expect(settings.trainingDataPath == "data/train.jsonl")
        #expect(settings.validationDataPath == "data/valid.jsonl")
        #expect(settings.limits == JobLimits(timeoutMinutes: 60, maxTrials: 10, maxConcurrentTrials: 2))
        #expect(settings.ignoredKeys == ["$schema", "compute", "experiment_name", "type"])
        #expect(settings.trainingParameterValues["evaluation_frequency"] == 1)
        #expect(settings.sweep.samplingAlgorithm == .random)
        #expect(settings.sweep.earlyTermination == .bandit(
            slackFactor: 0.2, slackAmount: nil, schedule: PolicySchedule(evaluationInterval: 2, delayEvaluation: 6)))
        #expect(settings.sweep.searchSpace?.branches.count == 2)
        #expect(settings.sweep.searchSpace?.branches[1].parameters["optimizer"] == .choice(["sgd", "adam", "adamw"]))
        #expect(settings.location(of: "search_space[1].optimizer").line == 30)
        #expect(settings.location(of: "limits.max_trials") == SettingsLocation(file: "settings.yaml", line: 13))

        let parameters = try settings.trainingParameters()
        #expect(parameters.modelName == .resnet50)
        #expect(parameters.earlyStopping)
        #expect(parameters.learningRate == 0.01)
    }

    @Test func defaults() throws {
        let settings = try parse("task: IMAGE_CLASSIFICATION_MULTILABEL\n")
        #expect(settings.task == .imageClassificationMultilabel)
        #expect(settings.primaryMetric == "iou")
        #expect(settings.trainingDataPath == "train.jsonl")
        #expect(settings.validationDataPath == nil)
        #expect(settings.limits.timeoutMinutes == 7 * 24 * 60)
        #expect(settings.limits.maxTrials == 1)
        #expect(settings.limits.maxConcurrentTrials == 1)
        #expect(settings.limits.trialTimeoutMinutes == nil)
        #expect(settings.sweep == SweepSettings())
        #expect(settings.effectiveSearchSpace == nil)
        #expect(try settings.trainingParameters() == TrainingParameters.defaults(task: .imageClassificationMultilabel))
    }

    @Test func v1LimitNames() throws {
        let settings = try parse("""
            task: image_classification
            limits:
              experiment_timeout_hours: 1.5
              iterations: 20
              max_concurrent_iterations: 4
            """)
        #expect(settings.limits.timeoutMinutes == 90)
        #expect(settings.limits.maxTrials == 20)
        #expect(settings.limits.maxConcurrentTrials == 4)
    }

    @Test func badLimitsAreAllReportedWithTheirLines() throws {
        let error = try #require(failure("""
            task: image_classification
            limits:
              timeout_minutes: 90000
              max_trials: 1001
              max_concurrent_trials: 0
              trial_timeout_minutes: -5
              max_nodes: 3
            """))
        #expect(error.description == """
            settings.yaml:3: limits.timeout_minutes = 90000: must be an integer in [1, 86400] (60 days)
            settings.yaml:4: limits.max_trials = 1001: must be an integer in [1, 1000]
            settings.yaml:5: limits.max_concurrent_trials = 0: must be an integer in [1, 100]
            settings.yaml:6: limits.trial_timeout_minutes = -5: must be an integer in [1, 10080] (at most the job's timeout_minutes)
            settings.yaml:7: limits.max_nodes = 3: unknown limit
            """)
    }

    @Test func concurrencyCannotExceedTrials() throws {
        let error = try #require(failure("task: image_classification\nlimits: {max_trials: 2, max_concurrent_trials: 3}\n"))
        #expect(error.problems.map(\.description) == ["settings.yaml:2: limits.max_concurrent_trials = 3: must be <= max_trials (2)"])
        let hours = try #require(failure("task: image_classification\nlimits: {experiment_timeout_hours: 1441}\n"))
        #expect(hours.problems.first?.message == "must be a number of hours in (0, 1440] (60 days)")
        let both = try #require(failure("task: image_classification\nlimits: {max_trials: 2, iterations: 3}\n"))
        #expect(both.problems.first?.message.hasPrefix("given twice") == true)
    }

    @Test func taskIsRequiredAndChecked() throws {
        let missing = try #require(failure("limits: {max_trials: 1}\n"))
        #expect(missing.problems.map(\.key) == ["task"])
        #expect(missing.problems.first?.message.hasPrefix("required: one of image_classification") == true)
        let misspelt = try #require(failure("task: image_clasification\n"))
        #expect(misspelt.problems.first?.description
            .hasPrefix(#"settings.yaml:1: task = "image_clasification": must be one of image_classification"#) == true)
        #expect(misspelt.problems.first?.message.hasSuffix("did you mean image_classification?") == true)
    }

    @Test func primaryMetricMustBeTheTasks() throws {
        let error = try #require(failure("task: image_classification\nprimary_metric: iou\n"))
        #expect(error.description == #"settings.yaml:2: primary_metric = "iou": must be accuracy, the only primary metric of image_classification"#)
        #expect(try parse("task: image_classification_multilabel\nprimary_metric: IOU\n").primaryMetric == "iou")
    }

    @Test func trainingParameterProblemsCarryTheirLine() throws {
        let error = try #require(failure("""
            task: image_classification
            training_parameters:
              model_name: resnet18
              learning_rate: 2.5
              optimizer: adamx
              min_size: 600
            """))
        #expect(error.description == """
            settings.yaml:4: training_parameters.learning_rate = 2.5: must be a number in (0, 1]
            settings.yaml:5: training_parameters.optimizer = "adamx": must be one of sgd, adam, adamw; did you mean adam?
            settings.yaml:6: training_parameters.min_size = 600: applies only to image_object_detection and image_instance_segmentation (not yolov5), not to image_classification
            """)
    }

    /// A parameter of some detectors is judged against the models the job trains: the default model alone
    /// (yolov5 takes no min_size), or each model of the search space.
    @Test func detectorParametersAreJudgedAgainstTheModelsTheJobTrains() throws {
        let alone = try #require(failure("""
            task: image_object_detection
            training_parameters:
              min_size: 64
            """))
        #expect(alone.description == """
            settings.yaml:3: training_parameters.min_size = 64: applies only to image_object_detection and image_instance_segmentation (not yolov5), not to image_object_detection with yolov5 (image_object_detection's default model; set model_name to train another)
            """)
        let swept = try parse("""
            task: image_object_detection
            training_parameters:
              min_size: 64
            search_space:
              - model_name: "choice('fasterrcnn_resnet18_fpn', 'retinanet_resnet50_fpn')"
            """)
        #expect(try swept.trainingParameters(overrides: ["model_name": .string("retinanet_resnet50_fpn")]).minSize == 64)
        let mixed = try #require(failure("""
            task: image_object_detection
            training_parameters:
              min_size: 64
            search_space:
              - model_name: "choice('fasterrcnn_resnet18_fpn', 'yolov5')"
            """))
        #expect(mixed.problems.map(\.key) == ["training_parameters.min_size"], "\(mixed)")
    }

    @Test func everyKindOfProblemAtOnce() throws {
        let error = try #require(failure("""
            task: image_classification
            primary_metric: iou
            training_data: {path: /etc/passwd}
            limits: {max_trials: 0}
            training_parameters: {learning_rate: 2}
            sweep: [random]
            search_space: [{learning_rate: 0.1}]
            colour: blue
            """))
        #expect(error.problems.map(\.key) == [
            "primary_metric", "training_data.path", "limits.max_trials", "training_parameters.learning_rate",
            "sweep", "search_space[0].learning_rate", "colour",
        ])
        #expect(error.problems.compactMap(\.location?.line) == [2, 3, 4, 5, 6, 7, 8])
    }

    @Test func v1ArgumentsList() throws {
        let settings = try parse("""
            task: image_classification
            arguments: ["--early_stopping", 0, "--evaluation_frequency", 2, "--model_name=resnet18"]
            """)
        let parameters = try settings.trainingParameters()
        #expect(!parameters.earlyStopping)
        #expect(parameters.evaluationFrequency == 2)
        #expect(parameters.modelName == .resnet18)

        let asTrainingParameters = try parse("""
            task: image_classification
            training_parameters:
              - --learning_rate
              - 0.02
            """)
        #expect(try asTrainingParameters.trainingParameters().learningRate == 0.02)

        let error = try #require(failure("""
            task: image_classification
            arguments:
              - early_stopping
              - 1
              - --number_of_epochs
              - 0
              - --seed
            """))
        #expect(error.description == """
            settings.yaml:3: arguments[0] = "early_stopping": expected a parameter name like "--learning_rate" before each value
            settings.yaml:4: arguments[1] = 1: expected a parameter name like "--learning_rate" before each value
            settings.yaml:5: arguments.number_of_epochs = 0: must be an integer > 0
            settings.yaml:7: arguments[4] = "--seed": needs a value after it
            """)
    }

    @Test func topLevelValidationDataSizeIsTheSplitRatio() throws {
        let settings = try parse("task: image_classification\nvalidation_data_size: 0.25\n")
        #expect(try settings.trainingParameters().splitRatio == 0.25)
        let twice = try #require(failure("task: image_classification\nvalidation_data_size: 0.25\ntraining_parameters: {split_ratio: 0.3}\n"))
        #expect(twice.problems.count == 1)
        #expect(twice.problems.first?.message.hasPrefix("given twice") == true)
    }

    @Test func overridesTakePrecedenceUnderAnySpelling() throws {
        let settings = try parse("""
            task: image_classification
            training_parameters: {learning_rate_scheduler: step, learning_rate: 0.05, model_name: resnet18}
            """)
        let base = try settings.trainingParameters()
        #expect(base.lrScheduler == .step)
        let overridden = try settings.trainingParameters(overrides: ["lr_scheduler": "warmup_cosine", "model_name": "vitl16r224"])
        #expect(overridden.lrScheduler == .warmupCosine)
        #expect(overridden.modelName == .vitl16r224)
        #expect(overridden.learningRate == 0.05, "a value of the file stays when not overridden")
        #expect(overridden.trainingBatchSize == 10, "defaults follow the overridden model")
        #expect(throws: SettingsError.self) { try settings.trainingParameters(overrides: ["momentum": 7]) }
    }

    @Test func dataPathsMustStayInTheBundle() throws {
        let error = try #require(failure("""
            task: image_classification
            training_data: {path: ../outside.jsonl}
            validation_data: {file: valid.jsonl}
            """))
        #expect(error.description == """
            settings.yaml:2: training_data.path = "../outside.jsonl": must be a relative path inside the bundle (no leading /, no ..)
            settings.yaml:3: validation_data: needs a path: the JSONL file in the bundle, e.g. {path: train.jsonl}
            settings.yaml:3: validation_data.file = "valid.jsonl": unknown setting; validation_data takes path (and Azure's type, ignored)
            """)
        #expect(try parse("task: image_classification\ntraining_data: lines.jsonl\n").trainingDataPath == "lines.jsonl")
    }

    @Test func searchSpaceAndSweepKinds() throws {
        let error = try #require(failure("""
            task: image_classification
            sweep:
              sampling_algorithm: [random]
              early_termination: bandit
            search_space:
              - learning_rate: 0.1
              - [model_name]
            """))
        #expect(error.problems.map(\.key) == [
            "sweep.sampling_algorithm", "sweep.early_termination", "search_space[0].learning_rate", "search_space[1]",
        ])
        let single = try parse("task: image_classification\nsearch_space: {model_name: {type: choice, values: [resnet18]}}\n")
        #expect(single.sweep.searchSpace?.branches.count == 1)
    }

    @Test func syntaxErrorsGiveTheLine() throws {
        let error = try #require(failure("task: image_classification\nlimits:\n  max_trials: [1, 2\n"))
        #expect(error.problems.count == 1)
        #expect(error.problems.first?.location?.file == "settings.yaml")
        #expect(error.problems.first?.location?.line != nil)
        #expect(error.problems.first?.message.hasPrefix("not valid YAML") == true)
    }

    @Test func duplicateKeysAreReported() throws {
        let error = try #require(failure("task: image_classification\nlimits: {max_trials: 2}\nlimits: {max_trials: 3}\n"))
        #expect(error.description == "settings.yaml:3: limits: given twice (first at line 2); keep one")
    }

    @Test func quotedNumbersStayText() throws {
        let settings = try parse("task: image_classification\ntraining_parameters: {checkpoint_run_id: \"0042\", learning_rate: \"0.02\"}\n")
        #expect(settings.trainingParameterValues["checkpoint_run_id"] == "0042")
        #expect(try settings.trainingParameters().checkpointRunID == "0042")
        #expect(try settings.trainingParameters().learningRate == 0.02)
    }

    @Test func emptyOrScalarFilesAreRefused() throws {
        #expect(failure("")?.problems.first?.message.hasPrefix("the settings file is empty") == true)
        #expect(failure("just text")?.problems.first?.message.hasPrefix("must be a mapping of settings") == true)
    }

    @Test func loadsJSONAndYAMLFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = try write("""
            {
            \t"task": "image_classification",
            \t"limits": {"max_trials": 3},
            \t"training_parameters": {"learning_rate": 5}
            }
            """, to: "settings.json", in: directory)
        do {
            _ = try JobSettings.load(from: json)
            Issue.record("a learning rate of 5 must be refused")
        } catch {
            #expect(error.problems.map(\.key) == ["training_parameters.learning_rate"])
            #expect(error.problems.first?.location?.file == "settings.json")
        }
        let yaml = try write("task: image_classification\nlimits: {max_trials: 3}\n", to: "settings.yml", in: directory)
        #expect(try JobSettings.load(from: yaml).limits.maxTrials == 3)
        let missing = directory.appendingPathComponent("nothing.yaml")
        #expect(throws: SettingsError.self) { try JobSettings.load(from: missing) }
    }

    @Test func detectionJobsTakeTheirOwnParameters() throws {
        let settings = try parse("task: image_object_detection\nprimary_metric: mean_average_precision\ntraining_parameters: {model_name: fasterrcnn_resnet18_fpn, min_size: 320, box_score_threshold: 0.2, tile_grid_size: \"3x2\"}\n")
        #expect(settings.task == .imageObjectDetection)
        let p = try settings.trainingParameters()
        #expect(p.modelName == .fasterrcnnResnet18FPN && p.minSize == 320 && p.boxScoreThresh == 0.2)
        #expect(p.tileGridSize == TrainingParameters.TileGrid(columns: 3, rows: 2))
        #expect(p.trainingBatchSize == 2 && p.validationBatchSize == 1 && p.learningRate == 0.005)
        // A classification key, or a model of another task, is refused with the task named.
        #expect(failure("task: image_object_detection\ntraining_parameters: {model_name: resnet18, valid_crop_size: 224}\n")?.description == """
            settings.yaml:2: training_parameters.model_name = "resnet18": is a model for image_classification and image_classification_multilabel, not image_object_detection; image_object_detection takes one of fasterrcnn_resnet18_fpn, fasterrcnn_resnet34_fpn, fasterrcnn_resnet50_fpn, fasterrcnn_resnet101_fpn, fasterrcnn_resnet152_fpn, fasterrcnn_mobilenet_v3_large_fpn, retinanet_resnet50_fpn, fcos_resnet50_fpn, yolov5
            settings.yaml:2: training_parameters.valid_crop_size = 224: applies only to image_classification and image_classification_multilabel, not to image_object_detection
            """)
    }
}
