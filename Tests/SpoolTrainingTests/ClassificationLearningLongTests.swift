import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// The long tier (docs/testing.md): seeded trainings at real sizes on generated shapes (240 images, 16 to 30
/// epochs): the loss falls, held-out accuracy reaches 0.9 and multilabel IoU 0.8, and the saved model gives back
/// exactly what the run measured. The fast tier's ClassificationTrainingTests show the same on a few images.
@Suite(.serialized, .longTier)
struct ClassificationLearningLongTests {
    static func parameters(model: String, epochs: Int, size: Int, lr: Double, optimizer: String = "sgd",
                           cropScaleMin: Double = 0.6) -> [String] {
        ["model_name: \(model)", "number_of_epochs: \(epochs)", "training_batch_size: 16",
         "validation_batch_size: 32", "learning_rate: \(lr)", "optimizer: \(optimizer)",
         "train_crop_size: \(size)", "valid_resize_size: \(size)", "valid_crop_size: \(size)",
         "split_ratio: 0.25", "early_stopping: 0", "warmup_cosine_lr_warmup_epochs: 1",
         // Gentle crops: a crop must keep most of the shape, whose kind is the label.
         "augmentation_crop_scale_min: \(cropScaleMin)"]
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let model: String, lr: Double, optimizer: String, epochs: Int
        var testDescription: String { "\(model) \(optimizer) lr \(lr)" }
    }

    @Test(arguments: [Case(model: "resnet18", lr: 0.01, optimizer: "sgd", epochs: 16),
                      Case(model: "mobilenetv2", lr: 0.002, optimizer: "adam", epochs: 30)])
    func multiclassReachesNinetyPercent(_ c: Case) throws {
        let dir = try TrainingSupport.temporaryDirectory("e2e-\(c.model)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let size = 40
        let bundle = try TrainingSupport.shapesBundle(
            in: dir, perClass: 80, size: size, formats: ["png", "jpg", "bmp", "tif"],
            parameters: Self.parameters(model: c.model, epochs: c.epochs, size: size, lr: c.lr, optimizer: c.optimizer))
        let out = dir.appendingPathComponent("run")
        let result = try TrainingSupport.train(bundle: bundle, out: out, seed: 3)
        let first = result.history.first!.trainLoss, last = result.history.suffix(3).map(\.trainLoss).reduce(0, +) / 3
        #expect(last < first * 0.7, "train loss \(first) -> \(last)")
        #expect(result.primaryMetric.name == "accuracy")
        print("end-to-end \(c.model): accuracy \(result.primaryMetric.value) at epoch \(result.bestEpoch), train loss \(first) -> \(last)")
        #expect(result.primaryMetric.value >= 0.9, "accuracy \(result.primaryMetric.value)\n\(TrainingSupport.log(out))")
        #expect(result.validationImages == 60)
        #expect(result.history.count == c.epochs)

        try ClassificationTrainingTests.savedModelScoresAsMeasured(bundle: bundle, out: out, seed: 3, splitRatio: 0.25, result: result)
    }

    @Test func multilabelReachesIoUOfPointEight() throws {
        let dir = try TrainingSupport.temporaryDirectory("e2e-multilabel")
        defer { try? FileManager.default.removeItem(at: dir) }
        let size = 48
        let bundle = try TrainingSupport.shapesBundle(
            in: dir, perClass: 80, size: size, multilabel: true,
            // A crop must not cut a shape out: every shape present is a label.
            parameters: Self.parameters(model: "resnet18", epochs: 18, size: size, lr: 0.03, cropScaleMin: 0.85))
        let out = dir.appendingPathComponent("run")
        let result = try TrainingSupport.train(bundle: bundle, out: out, seed: 5)
        #expect(result.primaryMetric.name == "iou")
        print("end-to-end multilabel resnet18: iou \(result.primaryMetric.value) at epoch \(result.bestEpoch)")
        #expect(result.primaryMetric.value >= 0.8, "iou \(result.primaryMetric.value)\n\(TrainingSupport.log(out))")
        let first = result.history.first!.trainLoss, last = result.history.last!.trainLoss
        #expect(last < first * 0.7, "train loss \(first) -> \(last)")
        let manifest = try ModelManifest.read(from: out.appendingPathComponent("model"))
        #expect(manifest.task == .imageClassificationMultilabel)
        #expect(manifest.multilabelThreshold == 0.5)
        #expect(manifest.classes == ["circle", "square", "triangle"])
    }
}
