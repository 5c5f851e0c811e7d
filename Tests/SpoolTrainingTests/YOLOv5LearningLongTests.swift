import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// The long tier (docs/testing.md): YOLOv5 small from scratch on the generated shapes (72 images x 100 epochs at
/// 128 px): its losses fall, it beats VOC mAP@0.5 0.6 on held-out images, its model folder reloads to the same
/// metric, and `spoolctl predict` and score.py give the same boxes. The fast tier's YOLOv5TrainingTests check the
/// same agreements and that it learns, on a model trained for seconds.
@Suite(.serialized, .longTier)
struct YOLOv5LearningLongTests {
    @Test func yoloV5SmallLearnsTheShapesAndItsOutputsAgree() throws {
        let dir = try TrainingSupport.temporaryDirectory("detect-yolo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try YOLOv5TrainingTests.bundle(in: dir, train: 72, valid: 16, epochs: 100)
        let (model, metrics, losses) = try YOLOv5TrainingTests.trainSmall(bundle, in: dir, imgSize: 128)

        // Held out: shapes of another seed.
        let heldOut = try DetectionTrainingTests.heldOut(in: dir.appendingPathComponent("held-out"), images: 24, size: 128,
                                                         radius: 0.08...0.2)
        let predictions = dir.appendingPathComponent("predictions.jsonl")
        let evaluation = try DetectionTrainingTests.evaluate(["--model", model.path, heldOut.path, "--predictions", predictions.path])
        let map = try #require(DetectionTrainingTests.voc(evaluation))
        print("YOLOv5s from scratch, 72 images x 100 epochs at 128 px: held-out VOC mAP@0.5 \(map); train loss \(losses.first!) -> \(losses.last!)")
        #expect(map >= 0.6, "held-out mAP@0.5 \(map)")

        // Reloaded, the model scores as in training (the weight average was saved); predict gives evaluate's
        // boxes, and score.py gives predict's.
        let images = try DetectionTrainingTests.reloadedModelAgrees(model: model, bundle: bundle, metrics: metrics, heldOut: heldOut,
                                                                    evaluation: evaluation, predictions: predictions)
        try DetectionTrainingTests.scorePyAgrees(model: model, images: images.paths, predict: images.predicted, dir: dir)
    }
}
