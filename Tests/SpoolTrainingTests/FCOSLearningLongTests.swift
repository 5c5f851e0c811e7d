import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// The long tier (docs/testing.md): FCOS (ResNet-50 FPN) learns the generated shapes from scratch at 96 px and
/// beats chance on held-out images, as RetinaNet does in DetectionLearningLongTests. The fast tier's
/// FCOSTrainingTests check that it trains and that its outputs agree, in seconds.
@Suite(.serialized, .longTier)
struct FCOSLearningLongTests {
    @Test func fcosBeatsChance() throws {
        let dir = try TrainingSupport.temporaryDirectory("detect-fcos")
        defer { try? FileManager.default.removeItem(at: dir) }
        // From scratch, as RetinaNet: AdamW (the settings' optimizer: adamw), the detections kept from a score of
        // 0.05, no crop or expand (the shapes keep the sizes the levels are for).
        let bundle = try DetectionTrainingTests.bundle(in: dir, model: "fcos_resnet50_fpn", train: 40, valid: 8, epochs: 20, learningRate: 0.0003,
                                                       extra: ["optimizer: adamw", "box_score_thresh: 0.05", "augmentation_crop: 0",
                                                               "augmentation_expand: 0", "augmentation_photometric: 0"])
        let (run, metrics) = try DetectionTrainingTests.train(bundle, in: dir)
        let losses = metrics.history.map(\.trainLoss)
        #expect(losses.last! < 0.7 * losses.first!, "the training loss falls: \(losses)")
        let heldOut = try DetectionTrainingTests.heldOut(in: dir.appendingPathComponent("held-out"), images: 12)
        let evaluation = try DetectionTrainingTests.evaluate(["--model", run.appendingPathComponent("model").path, heldOut.path])
        let map = try #require(DetectionTrainingTests.voc(evaluation))
        let classes = evaluation.report.detection?.classNames ?? []
        let chance = try DetectionTrainingTests.chanceMAP(images: LabeledImage.read(jsonl: heldOut, task: .imageObjectDetection, classes: classes),
                                                          classes: classes)
        print("FCOS resnet50-FPN, 40 images x 20 epochs (AdamW): held-out VOC mAP@0.5 \(map), chance \(chance); "
              + "train loss \(losses.first!) -> \(losses.last!)")
        // Measured: 0.65 against chance 0.004 (Intel, 116 s); the bar leaves room for other machines' kernels.
        #expect(map >= 0.25 && map > 5 * chance, "mAP \(map), chance \(chance)")
    }
}
