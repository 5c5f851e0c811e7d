import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// The long tier (docs/testing.md): R-CNN detectors learn the generated shapes at realistic sizes from scratch.
/// Faster R-CNN (48 images x 10 epochs at 96 px) reaches held-out VOC mAP@0.5 >= 0.8, its model folder reloads to
/// the same metric and predictions, score.py gives `spoolctl predict`'s boxes, tiles find small objects the whole
/// image misses; RetinaNet (ResNet-50) beats chance five times over. The fast tier's DetectionTrainingTests check
/// the same agreements on a model trained for seconds.
@Suite(.serialized, .longTier)
struct DetectionLearningLongTests {
    @Test func fasterRCNNLearnsTheShapesAndItsOutputsAgree() throws {
        let dir = try TrainingSupport.temporaryDirectory("detect-frcnn")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try DetectionTrainingTests.bundle(in: dir, model: "fasterrcnn_resnet18_fpn", train: 48, valid: 12, epochs: 10, learningRate: 0.01,
                                     extra: ["optimizer: sgd", "evaluation_frequency: 2"])
        let (run, metrics) = try DetectionTrainingTests.train(bundle, in: dir)
        let losses = metrics.history.map(\.trainLoss)
        #expect(losses.last! < losses.first! * 0.5, "the training loss falls: \(losses)")
        for name in ["loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"] {
            #expect(metrics.history.allSatisfy { $0.losses?[name]?.isFinite == true }, "every epoch logs \(name)")
        }

        // The report's validation images: examples.json with its thumbnails, boxes normalised.
        let examples = try DetectionExamples.read(from: run.appendingPathComponent(DetectionExamples.fileName))
        #expect(examples.images.count == 6 && examples.images.allSatisfy { !$0.truths.isEmpty })
        #expect(examples.images.contains { !$0.predictions.isEmpty })
        for image in examples.images {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(image.thumbnail).path))
            #expect((image.truths + image.predictions).allSatisfy { $0.box.allSatisfy { (0...1).contains($0) } }, "\(image)")
        }

        // Held out: images of another seed, never seen in training or validation.
        let model = run.appendingPathComponent("model")
        let heldOut = try DetectionTrainingTests.heldOut(in: dir.appendingPathComponent("held-out"), images: 16)
        let predictions = dir.appendingPathComponent("predictions.jsonl")
        let evaluation = try DetectionTrainingTests.evaluate(["--model", model.path, heldOut.path, "--predictions", predictions.path])
        let map = try #require(DetectionTrainingTests.voc(evaluation))
        print("Faster R-CNN resnet18-FPN, 48 images x 10 epochs: held-out VOC mAP@0.5 \(map); train loss \(losses.first!) -> \(losses.last!)")
        #expect(map >= 0.8, "held-out mAP@0.5 \(map)")

        let images = try DetectionTrainingTests.reloadedModelAgrees(model: model, bundle: bundle, metrics: metrics, heldOut: heldOut,
                                                  evaluation: evaluation, predictions: predictions)

        // score.py (Debian's torch and torchvision) gives predict's boxes.
        try DetectionTrainingTests.scorePyAgrees(model: model, images: images.paths, predict: images.predicted, dir: dir)

        // Tiles: 288 px images whose shapes are as large as the training ones. Detected whole at 96 px they
        // shrink to a third and are missed; each tile of a 3x3 grid is seen at the training scale.
        let large = try DetectionTrainingTests.heldOut(in: dir.appendingPathComponent("large"), images: 6, size: 288,
                                     radius: 0.04...0.08, maxObjects: 6, seed: 5)
        let whole = try DetectionTrainingTests.evaluate(["--model", model.path, large.path, "--tile-grid", "none"])
        let tiled = try DetectionTrainingTests.evaluate(["--model", model.path, large.path, "--tile-grid", "3x3"])
        let wholeMAP = try #require(DetectionTrainingTests.voc(whole)), tiledMAP = try #require(DetectionTrainingTests.voc(tiled))
        print("small objects: whole-image mAP@0.5 \(wholeMAP), with 3x3 tiles \(tiledMAP)")
        #expect(tiledMAP >= 0.5 && tiledMAP > wholeMAP + 0.3, "tiles \(tiledMAP), whole image \(wholeMAP)")
    }

    @Test func retinaNetBeatsChance() throws {
        let dir = try TrainingSupport.temporaryDirectory("detect-retina")
        defer { try? FileManager.default.removeItem(at: dir) }
        // From scratch, RetinaNet's focal loss barely moves under SGD in a few epochs (torchvision's own loop
        // behaves the same: classification loss ~1.1 after 20 epochs at lr 0.005); AdamW, which the settings
        // allow, learns in 20. torchvision's RetinaNet keeps detections from a score of 0.05, not 0.3.
        let bundle = try DetectionTrainingTests.bundle(in: dir, model: "retinanet_resnet50_fpn", train: 40, valid: 8, epochs: 20, learningRate: 0.0003,
                                     extra: ["optimizer: adamw", "box_score_thresh: 0.05", "augmentation_crop: 0",
                                             "augmentation_expand: 0", "augmentation_photometric: 0"])
        let (run, metrics) = try DetectionTrainingTests.train(bundle, in: dir)
        let losses = metrics.history.map(\.trainLoss)
        #expect(losses.last! < losses.first!, "the training loss falls: \(losses)")
        #expect(metrics.history.allSatisfy { $0.losses?["classification"]?.isFinite == true && $0.losses?["bbox_regression"]?.isFinite == true })
        let heldOut = try DetectionTrainingTests.heldOut(in: dir.appendingPathComponent("held-out"), images: 12)
        let evaluation = try DetectionTrainingTests.evaluate(["--model", run.appendingPathComponent("model").path, heldOut.path])
        let map = try #require(DetectionTrainingTests.voc(evaluation))
        // Chance: boxes at random places and sizes with random labels. Measured on these images by the same
        // metric code, so the bar is what guessing really scores here, not a guess of it.
        let chance = try DetectionTrainingTests.chanceMAP(images: LabeledImage.read(jsonl: heldOut, task: .imageObjectDetection,
                                                                  classes: (evaluation.report.detection?.classNames ?? [])),
                                        classes: (evaluation.report.detection?.classNames ?? []))
        print("RetinaNet resnet50-FPN, 40 images x 20 epochs (AdamW): held-out VOC mAP@0.5 \(map), chance \(chance)")
        #expect(map >= 0.05 && map > 5 * chance, "mAP \(map), chance \(chance)")
    }
}
