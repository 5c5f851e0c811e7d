import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// FCOS (ResNet-50 FPN) from bundle to model folder through the built `spoolctl`, in the fast tier: a few steps on
/// small images lower its loss (focal, GIoU and centerness, each logged), the model folder reloads to the same
/// metric and predictions, and score.py (torchvision's FCOS built from model.json) gives `spoolctl predict`'s
/// boxes. Learning to beat chance takes minutes: FCOSLearningLongTests, in the long tier.
@Suite(.serialized)
struct FCOSTrainingTests {
    @Test func fcosTrainsAndItsOutputsAgree() throws {
        let dir = try TrainingSupport.temporaryDirectory("detect-fcos-fast")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try DetectionTrainingTests.bundle(in: dir, model: "fcos_resnet50_fpn", train: 8, valid: 4, epochs: 3, learningRate: 0.0003,
                                                       extra: ["optimizer: adamw", "box_score_thresh: 0.05", "augmentation_crop: 0",
                                                               "augmentation_expand: 0", "augmentation_photometric: 0"], size: 64)
        let (run, metrics) = try DetectionTrainingTests.train(bundle, in: dir)
        let losses = metrics.history.map(\.trainLoss)
        #expect(losses.last! < losses.first!, "the training loss falls: \(losses)")
        for name in ["classification", "bbox_regression", "bbox_ctrness"] {
            #expect(metrics.history.allSatisfy { $0.losses?[name]?.isFinite == true }, "every epoch logs \(name)")
        }

        let model = run.appendingPathComponent("model")
        let heldOut = try DetectionTrainingTests.heldOut(in: dir.appendingPathComponent("held-out"), images: 4, size: 64)
        let predictions = dir.appendingPathComponent("predictions.jsonl")
        let evaluation = try DetectionTrainingTests.evaluate(["--model", model.path, heldOut.path, "--predictions", predictions.path])
        let images = try DetectionTrainingTests.reloadedModelAgrees(model: model, bundle: bundle, metrics: metrics, heldOut: heldOut,
                                                                    evaluation: evaluation, predictions: predictions)
        try Self.scorePyAgrees(model: model, images: images.paths, predict: images.predicted, dir: dir)
    }

    /// score.py's boxes for `images` are `spoolctl predict`'s: as many, each of predict's with a score.py box of the
    /// same label, score and corners within 1e-3. FCOS's scores (square roots of two sigmoids) tie to float
    /// rounding often, and tied boxes may come in either order, so each box is looked for among those of its score.
    static func scorePyAgrees(model: URL, images: [String], predict: [[String: Any]], dir: URL) throws {
        let driver = dir.appendingPathComponent("driver.py")
        try """
            import importlib.util, json, sys, torch
            torch.set_num_threads(1)
            spec = importlib.util.spec_from_file_location("score", sys.argv[1])
            score = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(score)
            score.init()
            print(score.run([open(p, "rb").read() for p in sys.argv[2:]]))
            """.write(to: driver, atomically: true, encoding: .utf8)
        let scored = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython),
                                             [driver.path, model.appendingPathComponent(ScoringScript.fileName).path] + images,
                                             environment: ["OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "AZUREML_MODEL_DIR": nil])
        try #require(scored.status == 0, "\(scored.stderr)")
        let results = try #require(try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [[String: Any]])
        try #require(results.count == images.count)
        func corners(_ box: [String: Any]) -> [Double] {
            let b = box["box"] as? [String: Double] ?? [:]
            return ["topX", "topY", "bottomX", "bottomY"].map { b[$0] ?? .nan }
        }
        var worst = 0.0, compared = 0
        for (i, (want, have)) in zip(predict, results).enumerated() {
            let a = want["boxes"] as? [[String: Any]] ?? [], b = have["boxes"] as? [[String: Any]] ?? []
            #expect(a.count == b.count, "image \(i): predict \(a.count) boxes, score.py \(b.count)")
            for p in a {
                let score = p["score"] as? Double ?? .nan
                let difference = b.filter { $0["label"] as? String == p["label"] as? String }.map { q in
                    zip(corners(p), corners(q)).map { abs($0 - $1) }.reduce(abs(score - (q["score"] as? Double ?? .nan)), max)
                }.min() ?? .infinity
                worst = max(worst, difference)
                compared += 1
            }
        }
        print("score.py vs spoolctl predict (FCOS): \(compared) boxes, max difference \(worst)")
        #expect(compared > 0 && worst <= 1e-3, "\(compared) boxes, max difference \(worst)")
    }
}
