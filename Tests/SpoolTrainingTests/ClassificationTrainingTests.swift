import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// The fast tier's classification learning (docs/testing.md): a few seeded epochs on a few generated shapes at
/// 32 px halve the loss and beat chance on the held-out validation images, and the saved model gives back exactly
/// what the run measured. The long tier's ClassificationLearningLongTests reach 0.9 accuracy at real sizes.
@Suite(.serialized)
struct ClassificationTrainingTests {
    static let size = 32

    @Test func multiclassLearnsAndTheSavedModelScoresAsTheRunMeasured() throws {
        let dir = try TrainingSupport.temporaryDirectory("learn-multiclass")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try TrainingSupport.shapesBundle(
            in: dir, perClass: 24, size: Self.size,
            parameters: ClassificationLearningLongTests.parameters(model: "resnet18", epochs: 24, size: Self.size, lr: 0.002,
                                                                   optimizer: "adam", cropScaleMin: 0.85))
        let out = dir.appendingPathComponent("run")
        let result = try TrainingSupport.train(bundle: bundle, out: out, seed: 3)
        let first = result.history.first!.trainLoss, last = result.history.last!.trainLoss
        print("fast multiclass resnet18: accuracy \(result.primaryMetric.value) at epoch \(result.bestEpoch), train loss \(first) -> \(last)")
        #expect(last < first * 0.5, "train loss \(first) -> \(last)")
        // Chance on three balanced classes is 1/3.
        #expect(result.primaryMetric.name == "accuracy" && result.primaryMetric.value >= 0.6,
                "accuracy \(result.primaryMetric.value)\n\(TrainingSupport.log(out))")

        try Self.savedModelScoresAsMeasured(bundle: bundle, out: out, seed: 3, splitRatio: 0.25, result: result)
    }

    /// The saved model is the best epoch's: reloaded twice, it scores the validation images alike, to the accuracy
    /// the run measured.
    static func savedModelScoresAsMeasured(bundle: URL, out: URL, seed: UInt64, splitRatio: Double, result: TrainingResult) throws {
        let job = try JobBundle.load(directory: bundle)
        let data = try job.trainingData(splitRatio: splitRatio, seed: seed)
        let probs = try Predictor(modelDirectory: out.appendingPathComponent("model")).probabilities(paths: data.validation.map(\.path))
        let again = try Predictor(modelDirectory: out.appendingPathComponent("model")).probabilities(paths: data.validation.map(\.path))
        #expect(probs == again)
        let k = data.classes.count
        let correct = data.validation.enumerated().filter { i, image in
            let row = probs[(i * k)..<((i + 1) * k)]
            return row.firstIndex(of: row.max()!)! - i * k == image.labels[0]
        }.count
        #expect(Double(correct) / Double(data.validation.count) == result.primaryMetric.value)
    }

    @Test func multilabelLearns() throws {
        let dir = try TrainingSupport.temporaryDirectory("learn-multilabel")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try TrainingSupport.shapesBundle(
            in: dir, perClass: 24, size: Self.size, multilabel: true,
            parameters: ClassificationLearningLongTests.parameters(model: "resnet18", epochs: 8, size: Self.size, lr: 0.001,
                                                                   optimizer: "adam", cropScaleMin: 0.85))
        let out = dir.appendingPathComponent("run")
        let result = try TrainingSupport.train(bundle: bundle, out: out, seed: 5)
        let first = result.history.first!.trainLoss, last = result.history.last!.trainLoss
        // Chance: the IoU of guessing each label present with probability 1/2, on these validation images.
        let job = try JobBundle.load(directory: bundle)
        let data = try job.trainingData(splitRatio: 0.25, seed: 5)
        var rng = SplitMix64(seed: 7)
        let guesses = data.validation.map { _ in Set((0..<data.classes.count).filter { _ in rng.next() & 1 == 1 }) }
        let chance = zip(data.validation, guesses).map { image, guess -> Double in
            let truth = Set(image.labels)
            let union = truth.union(guess).count
            return union == 0 ? 1 : Double(truth.intersection(guess).count) / Double(union)
        }.reduce(0, +) / Double(data.validation.count)
        print("fast multilabel resnet18: iou \(result.primaryMetric.value) (chance \(chance)) at epoch \(result.bestEpoch), train loss \(first) -> \(last)")
        #expect(result.primaryMetric.name == "iou")
        #expect(last < first * 0.7, "train loss \(first) -> \(last)")
        #expect(result.primaryMetric.value > chance + 0.15, "iou \(result.primaryMetric.value), chance \(chance)")
        let manifest = try ModelManifest.read(from: out.appendingPathComponent("model"))
        #expect(manifest.task == .imageClassificationMultilabel && manifest.classes == ["circle", "square", "triangle"])
    }
}
