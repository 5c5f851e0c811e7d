import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// Each hyperparameter of section 5 changes what the run does (small images, few steps).
@Suite(.serialized)
struct TrainingRunTests {
    static func base(epochs: Int = 2, extra: [String] = []) -> [String] {
        ["model_name: resnet18", "number_of_epochs: \(epochs)", "training_batch_size: 8", "validation_batch_size: 8",
         "train_crop_size: 32", "valid_resize_size: 32", "valid_crop_size: 32", "split_ratio: 0.25",
         "early_stopping: 0"] + extra
    }

    func run(_ parameters: [String], seed: UInt64 = 0, perClass: Int = 8, name: String = "run",
             in dir: URL, weightsSearch: [URL] = []) throws -> (TrainingResult, URL) {
        let bundle = dir.appendingPathComponent("bundle")
        if !FileManager.default.fileExists(atPath: bundle.path) {
            _ = try TrainingSupport.shapesBundle(in: dir, perClass: perClass, size: 32, parameters: parameters)
        } else {
            let settings = "task: image_classification\ntraining_data: {path: train.jsonl}\ntraining_parameters:\n"
                + parameters.map { "  \($0)\n" }.joined()
            try settings.write(to: bundle.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        }
        let out = dir.appendingPathComponent(name)
        return (try TrainingSupport.train(bundle: bundle, out: out, seed: seed, weightsSearch: weightsSearch), out)
    }

    @Test func runsAreReproducibleUnderASeed() throws {
        let dir = try TrainingSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (a, _) = try run(Self.base(), seed: 4, name: "a", in: dir)
        let (b, _) = try run(Self.base(), seed: 4, name: "b", in: dir)
        let (c, _) = try run(Self.base(), seed: 5, name: "c", in: dir)
        #expect(a.history.map(\.trainLoss) == b.history.map(\.trainLoss))
        #expect(a.history.map(\.validationLoss) == b.history.map(\.validationLoss))
        #expect(a.history.map(\.trainLoss) != c.history.map(\.trainLoss))
    }

    @Test func metricsFileHasThePrimaryMetricHistoryAndReport() throws {
        let dir = try TrainingSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (result, out) = try run(Self.base(), in: dir)
        let json = try MetricsDocument.read(from: out.appendingPathComponent(MetricsDocument.fileName))
        let primary = json.primaryMetric
        #expect(primary.name == "accuracy")
        #expect(primary.value == result.primaryMetric.value)
        let history = json.history
        #expect(history.count == 2)
        #expect(history.allSatisfy { $0.trainLoss.isFinite && $0.metrics != nil })
        let report = try #require(json.bestReport.classification)
        #expect(report.confusionMatrix != nil)
        #expect(report.perClass.count == 3)
        for file in ["model/weights.safetensors", "model/model.json", "train.log"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        #expect(TrainingSupport.log(out).contains("training starts from scratch"))
    }

    @Test func evaluationFrequencyAndCheckpointFrequency() throws {
        let dir = try TrainingSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (result, out) = try run(Self.base(epochs: 3, extra: ["evaluation_frequency: 2", "checkpoint_frequency: 1"]), in: dir)
        // Evaluated at epoch 2 and at the last epoch; not at epoch 1.
        #expect(result.history.map { $0.metrics != nil } == [false, true, true])
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints").path).sorted()
        #expect(checkpoints == ["epoch_1.safetensors", "epoch_2.safetensors", "epoch_3.safetensors", "resume"])
        // Beside them, the resume checkpoints of the last two epochs (docs/resume.md).
        let resume = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints/resume").path).sorted()
        #expect(resume == ["epoch-0002", "epoch-0003"])
    }

    @Test func earlyStoppingStopsAfterDelayAndPatience() throws {
        let dir = try TrainingSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A learning rate of 1e-12 (0 is refused): the metric never improves after the first evaluation.
        let params = Self.base(epochs: 10).filter { !$0.hasPrefix("early_stopping") }
            + ["early_stopping: 1", "early_stopping_patience: 2", "early_stopping_delay: 1", "learning_rate: 1e-12"]
        let (result, out) = try run(params, in: dir)
        #expect(result.stoppedEarly)
        #expect(result.epochsRun < 10)
        #expect(TrainingSupport.log(out).contains("early stopping at epoch \(result.epochsRun)"))
    }

    @Test func stepSchedulerSetsTheLearningRatePerEpoch() throws {
        let dir = try TrainingSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (result, _) = try run(Self.base(epochs: 4, extra: ["lr_scheduler: step", "step_lr_step_size: 2",
                                                                "step_lr_gamma: 0.5", "learning_rate: 0.02"]), in: dir)
        // The rate of each epoch's last step: 0.02 for epochs 1-2, 0.01 for 3-4.
        let rates = result.history.map(\.learningRate)
        #expect(zip(rates, [0.02, 0.02, 0.01, 0.01]).allSatisfy { abs($0 - $1) < 1e-12 }, "\(rates)")
    }

    @Test(arguments: ["sgd", "adam", "adamw"])
    func everyOptimizerTrains(optimizer: String) throws {
        let dir = try TrainingSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let lr = optimizer == "sgd" ? "0.01" : "0.001"
        let (result, _) = try run(Self.base(extra: ["optimizer: \(optimizer)", "learning_rate: \(lr)",
                                                    "amsgrad: \(optimizer == "adam" ? 1 : 0)",
                                                    "grad_accumulation_step: 2", "weighted_loss: 2"]), in: dir)
        #expect(result.history.allSatisfy { $0.trainLoss.isFinite })
        #expect(result.parameters.optimizer.rawValue == optimizer)
    }

    @Test func layersToFreezeLeavesOnlyLaterLayersTraining() throws {
        let dir = try TrainingSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, out) = try run(Self.base(epochs: 1, extra: ["layers_to_freeze: 5"]), in: dir)
        // resnet18 with every backbone group frozen: only fc (512 x 3 + 3) trains.
        #expect(TrainingSupport.log(out).contains("layers_to_freeze 5: 1539 of"))
    }

    @Test func pretrainedWeightsAreFoundByModelNameAndTheHeadIsReplaced() throws {
        let dir = try TrainingSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("weights")
        try FileManager.default.createDirectory(at: weights, withIntermediateDirectories: true)
        // An "ImageNet" resnet18 with its own 10-class head, as torchvision names it.
        let model = try Model(name: "resnet18", numClasses: 10)
        try model.save(to: weights.appendingPathComponent("resnet18.safetensors").path)
        let (_, out) = try run(Self.base(epochs: 1), in: dir, weightsSearch: [weights])
        let log = TrainingSupport.log(out)
        #expect(log.contains("pretrained weights found in \(weights.path): resnet18.safetensors, 120 tensors loaded, classifier head replaced"), "\(log)")

        // checkpoint_run_id starts from an earlier run's model.
        let (_, second) = try run(Self.base(epochs: 1, extra: ["checkpoint_run_id: \(out.path)"]), name: "second", in: dir)
        #expect(TrainingSupport.log(second).contains("checkpoint_run_id \(out.path): started from"))
    }

    @Test func aMissingPretrainedFileIsAClearError() throws {
        let dir = try TrainingSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect {
            _ = try run(Self.base(epochs: 1, extra: ["pretrained_weights: nowhere.safetensors"]), in: dir)
        } throws: { error in
            "\(error)".contains("pretrained_weights = nowhere.safetensors: no such file")
        }
    }
}
