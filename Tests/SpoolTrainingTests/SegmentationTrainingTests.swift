import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// Instance segmentation from bundle to model folder, through the built `spoolctl`, in the fast tier
/// (docs/testing.md): a small Mask R-CNN (ResNet-18 FPN, from scratch) trained for seconds on 64 px images halves
/// its loss and beats chance on held-out masks; the reloaded model, `spoolctl predict` and score.py give the same
/// polygons. SegmentationLearningLongTests (the long tier) reach mask mAP 0.7 at 96 px.
@Suite(.serialized)
struct SegmentationTrainingTests {
    typealias Detection = DetectionTrainingTests

    @Test func maskRCNNLearnsAndItsPolygonsAgree() throws {
        let dir = try TrainingSupport.temporaryDirectory("segment-mrcnn-fast")
        defer { try? FileManager.default.removeItem(at: dir) }
        // AdamW: from scratch, torchvision's mask-logit initialisation starts the mask loss near 4, which SGD turns
        // into NaN (SegmentationLearningLongTests).
        let bundle = try Detection.bundle(in: dir, model: "maskrcnn_resnet18_fpn", train: 16, valid: 4, epochs: 4,
                                          learningRate: 0.0005,
                                          extra: ["optimizer: adamw", "evaluation_frequency: 2", "box_score_thresh: 0.05"],
                                          segmentation: true, size: 64)
        let (run, metrics) = try Detection.train(bundle, in: dir)
        let losses = metrics.history.map(\.trainLoss)
        #expect(losses.last! < losses.first! * 0.5, "the training loss falls: \(losses)")
        let maskLosses = metrics.history.compactMap { $0.losses?["loss_mask"] }
        #expect(maskLosses.count == metrics.history.count, "every epoch logs loss_mask")
        #expect(maskLosses.last! < maskLosses.first! * 0.7, "the mask loss falls: \(maskLosses)")
        let last = try #require(metrics.history.last?.metrics)
        #expect(last["coco_map"] != nil && last["box_coco_map"] != nil, "validation has COCO's numbers for masks and boxes")

        // The primary metric is the masks' mAP, the boxes' beside it. Chance: random boxes (filled as masks, a
        // random box overlaps a shape at most as well as its box does, so box chance bounds mask chance).
        let model = run.appendingPathComponent("model")
        let heldOut = try Detection.heldOut(in: dir.appendingPathComponent("held-out"), images: 8, size: 64, segmentation: true)
        let predictions = dir.appendingPathComponent("predictions.jsonl")
        let evaluation = try Detection.evaluate(["--model", model.path, heldOut.path, "--predictions", predictions.path])
        let report = try #require(evaluation.report.detection)
        #expect(report.iouType == "segm" && report.task == .imageInstanceSegmentation)
        let maskMAP = try #require(report.vocMeanAveragePrecision), boxMAP = try #require(report.boxVocMeanAveragePrecision)
        let chance = try Detection.chanceMAP(images: LabeledImage.read(jsonl: heldOut, task: .imageInstanceSegmentation,
                                                                       classes: report.classNames),
                                             classes: report.classNames)
        print("Mask R-CNN resnet18-FPN, 16 images x 4 epochs at 64 px: held-out mask mAP@0.5 \(maskMAP), box mAP@0.5 \(boxMAP), "
              + "chance \(chance); train loss \(losses.first!) -> \(losses.last!), mask loss \(maskLosses.first!) -> \(maskLosses.last!)")
        #expect(maskMAP > 2 * chance, "held-out mask mAP@0.5 \(maskMAP), chance \(chance)")

        // The report's validation images carry true polygons.
        let examples = try DetectionExamples.read(from: run.appendingPathComponent(DetectionExamples.fileName))
        #expect(examples.images.allSatisfy { $0.truths.allSatisfy { !($0.polygon ?? []).isEmpty } })

        try Self.polygonsAgree(model: model, bundle: bundle, metrics: metrics, heldOut: heldOut,
                                                    evaluation: evaluation, predictions: predictions, dir: dir)
    }

    /// The model folder reloads to the training's metric and `predict` gives `evaluate`'s predictions; every
    /// predicted box has polygons, each within the point limit and the image; score.py (torchvision's MaskRCNN,
    /// OpenCV's contours) gives predict's boxes and polygons.
    static func polygonsAgree(model: URL, bundle: URL, metrics: MetricsDocument, heldOut: URL, evaluation: EvaluationDocument,
                              predictions: URL, dir: URL) throws {
        let images = try Detection.reloadedModelAgrees(model: model, bundle: bundle, metrics: metrics, heldOut: heldOut,
                                                       evaluation: evaluation, predictions: predictions,
                                                       task: .imageInstanceSegmentation)
        var parts = 0
        for result in images.predicted {
            for box in result["boxes"] as? [[String: Any]] ?? [] {
                let polygon = try #require(box["polygon"] as? [[Double]], "\(box)")
                for part in polygon {
                    #expect(part.count >= 6 && part.count <= 200 && part.count % 2 == 0 && part.allSatisfy { (0...1).contains($0) })
                    parts += 1
                }
            }
        }
        #expect(parts > 0)
        let python = TrainingSupport.repository.appendingPathComponent(".venv-test/bin/python").path
        try Detection.scorePyAgrees(model: model, images: images.paths, predict: images.predicted, dir: dir, polygons: true,
                                    python: python)
    }

    /// torchvision's COCO Mask R-CNN file (here the same architecture with seeded weights: nothing can be
    /// downloaded) imports with the 90 COCO names and predicts polygons.
    @Test func importModelTakesATorchvisionCOCOMaskRCNN() throws {
        let dir = try TrainingSupport.temporaryDirectory("import-coco-mask")
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("maskrcnn_resnet50_fpn_coco.pth")
        let script = """
            import sys, torch
            from torchvision.models.detection import maskrcnn_resnet50_fpn
            torch.manual_seed(0)
            model = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=91, box_score_thresh=0.0)
            torch.save({k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}, sys.argv[1])
            """
        let exported = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython), ["-c", script, weights.path])
        try #require(exported.status == 0, "\(exported.stderr)")
        let folder = dir.appendingPathComponent("coco")
        let imported = try Detection.spoolctl(["import-model", "--model", "maskrcnn_resnet50_fpn", "--weights", weights.path,
                                               "--out", folder.path, "--min-size", "128", "--max-size", "128"])
        try #require(imported.status == 0, "\(imported.stderr)")
        let manifest = try ModelManifest.read(from: folder)
        #expect(manifest.classes == COCOCategories.classes(for: .maskrcnnResnet50FPN) && manifest.classes.count == 90)
        #expect(manifest.task == .imageInstanceSegmentation && manifest.detection?.maskPixelScoreThreshold == 0.5)
        // Random weights score every class near 1/91: keep every detection (model.json is the user's to edit).
        let manifestURL = folder.appendingPathComponent("model.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as? [String: Any])
        var detection = try #require(json["detection"] as? [String: Any])
        detection["box_score_thresh"] = 0.0
        json["detection"] = detection
        try JSONSerialization.data(withJSONObject: json).write(to: manifestURL)
        let image = dir.appendingPathComponent("street.png")
        try ImageLoader.write(path: image.path, pixels: (0..<(160 * 120 * 3)).map { UInt8(($0 * 37) % 251) },
                              width: 160, height: 120, channels: 3)
        let predicted = try Detection.spoolctl(["predict", "--model", folder.path, "--json", image.path])
        try #require(predicted.status == 0, "\(predicted.stderr)")
        let results = try #require(try JSONSerialization.jsonObject(with: Data(predicted.stdout.utf8)) as? [[String: Any]])
        let boxes = try #require(results.first?["boxes"] as? [[String: Any]], "\(predicted.stdout)")
        #expect(!boxes.isEmpty && boxes.allSatisfy { $0["polygon"] is [[Double]] }, "every box carries its polygons")
    }
}
