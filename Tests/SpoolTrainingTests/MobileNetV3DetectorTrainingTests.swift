import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// Faster R-CNN on MobileNetV3-Large FPN from bundle to model folder through the built `spoolctl`, in the fast tier:
/// trained from scratch for seconds on small images, its loss falls (the four R-CNN losses, each logged); the model
/// folder reloads to the same metric and predictions, and score.py (torchvision's fasterrcnn_mobilenet_v3_large_fpn
/// built from model.json) gives `spoolctl predict`'s boxes.
@Suite(.serialized)
struct MobileNetV3DetectorTrainingTests {
    @Test func trainsAndItsOutputsAgree() throws {
        let dir = try TrainingSupport.temporaryDirectory("detect-mobilenet-v3-fast")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try DetectionTrainingTests.bundle(in: dir, model: "fasterrcnn_mobilenet_v3_large_fpn", train: 12, valid: 4, epochs: 4,
                                                       learningRate: 0.01,
                                                       extra: ["optimizer: sgd", "box_score_thresh: 0.05"], size: 64)
        let (run, metrics) = try DetectionTrainingTests.train(bundle, in: dir)
        let losses = metrics.history.map(\.trainLoss)
        #expect(losses.last! < losses.first! * 0.8, "the training loss falls by a fifth at least: \(losses)")
        for name in ["loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"] {
            #expect(metrics.history.allSatisfy { $0.losses?[name]?.isFinite == true }, "every epoch logs \(name)")
        }
        let manifest = try ModelManifest.read(from: run.appendingPathComponent("model"))
        #expect(manifest.architecture?.name == "fasterrcnn_mobilenet_v3_large_fpn", "\(String(describing: manifest.architecture))")

        let model = run.appendingPathComponent("model")
        // Trained from scratch: trainable BatchNorm2d, rebuilt as such to score (step counters in the file).
        #expect(!DetectionHead.hasFrozenBatchNorm(model.appendingPathComponent("weights.safetensors")))
        let heldOut = try DetectionTrainingTests.heldOut(in: dir.appendingPathComponent("held-out"), images: 4, size: 64)
        let predictions = dir.appendingPathComponent("predictions.jsonl")
        let evaluation = try DetectionTrainingTests.evaluate(["--model", model.path, heldOut.path, "--predictions", predictions.path])
        let images = try DetectionTrainingTests.reloadedModelAgrees(model: model, bundle: bundle, metrics: metrics, heldOut: heldOut,
                                                                    evaluation: evaluation, predictions: predictions)
        try DetectionTrainingTests.scorePyAgrees(model: model, images: images.paths, predict: images.predicted, dir: dir)
    }
}
