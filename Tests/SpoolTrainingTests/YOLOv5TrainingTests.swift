import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// YOLOv5 small from scratch on the generated shapes, through the built `spoolctl`, in the fast tier
/// (docs/testing.md): trained for seconds on small images its losses fall and it beats chance on held-out images,
/// its model folder reloads to the same metric, and `spoolctl predict` and score.py (the architecture defined in
/// the script) give the same boxes. YOLOv5LearningLongTests (the long tier) reach mAP 0.6 at 128 px.
@Suite(.serialized)
struct YOLOv5TrainingTests {
    typealias Output = TrainingSupport.Output

    static func bundle(in dir: URL, train: Int, valid: Int, epochs: Int, size: Int = 128, evaluationFrequency: Int = 5,
                       nominalBatchSize: Int = 8) throws -> URL {
        let folder = dir.appendingPathComponent("bundle")
        var shapes = ShapesDetectionDataset()
        shapes.images = train + valid
        shapes.size = size
        shapes.seed = 1
        let settings = """
            task: image_object_detection
            training_data: {path: train.jsonl}
            validation_data: {path: valid.jsonl}
            training_parameters:
              model_name: yolov5
              model_size: small
              img_size: \(size)
              number_of_epochs: \(epochs)
              training_batch_size: 8
              validation_batch_size: 8
              nominal_batch_size: \(nominalBatchSize)
              learning_rate: 0.01
              warmup_cosine_lr_warmup_epochs: 1
              early_stopping: 0
              evaluation_frequency: \(evaluationFrequency)
              validation_metric_type: voc

            """
        try shapes.write(to: folder, settings: settings)
        let lines = try String(contentsOf: folder.appendingPathComponent("train.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        try (lines.prefix(train).joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        try (lines.suffix(valid).joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("valid.jsonl"), atomically: true, encoding: .utf8)
        return folder
    }

    /// `spoolctl train` of a yolov5 small bundle: its loss falls by 30% (mosaic makes every epoch harder), every epoch
    /// logs YOLOv5's three losses, and the model folder names yolov5s at `imgSize`.
    static func trainSmall(_ bundle: URL, in dir: URL, imgSize: Int) throws -> (model: URL, metrics: MetricsDocument, losses: [Double]) {
        let (run, metrics) = try DetectionTrainingTests.train(bundle, in: dir)
        let losses = metrics.history.map(\.trainLoss)
        #expect(losses.last! < losses.first! * 0.7, "the training loss falls: \(losses)")
        for name in ["loss_box", "loss_obj", "loss_cls"] {
            #expect(metrics.history.allSatisfy { $0.losses?[name]?.isFinite == true }, "every epoch logs \(name)")
        }
        let model = run.appendingPathComponent("model")
        let manifest = try ModelManifest.read(from: model)
        #expect(manifest.engineModelName == "yolov5s" && manifest.architecture?.name == "yolov5s" && manifest.detection?.imgSize == imgSize)
        return (model, metrics, losses)
    }

    @Test func yoloV5SmallLearnsAndItsOutputsAgree() throws {
        let dir = try TrainingSupport.temporaryDirectory("detect-yolo-fast")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try Self.bundle(in: dir, train: 56, valid: 16, epochs: 60, size: 64, evaluationFrequency: 20)
        let (model, metrics, losses) = try Self.trainSmall(bundle, in: dir, imgSize: 64)

        let heldOut = try DetectionTrainingTests.heldOut(in: dir.appendingPathComponent("held-out"), images: 8, size: 64,
                                                         radius: 0.08...0.2)
        let predictions = dir.appendingPathComponent("predictions.jsonl")
        let evaluation = try DetectionTrainingTests.evaluate(["--model", model.path, heldOut.path, "--predictions", predictions.path])
        let map = try #require(DetectionTrainingTests.voc(evaluation))
        let classes = evaluation.report.detection?.classNames ?? []
        let chance = try DetectionTrainingTests.chanceMAP(
            images: LabeledImage.read(jsonl: heldOut, task: .imageObjectDetection, classes: classes), classes: classes)
        print("YOLOv5s from scratch, 56 images x 60 epochs at 64 px: held-out VOC mAP@0.5 \(map), chance \(chance); "
              + "train loss \(losses.first!) -> \(losses.last!)")
        #expect(map > 2 * chance, "held-out mAP@0.5 \(map), chance \(chance)")

        // Reloaded, the model scores as in training (the weight average was saved); predict gives evaluate's
        // boxes, and score.py gives predict's.
        let images = try DetectionTrainingTests.reloadedModelAgrees(model: model, bundle: bundle, metrics: metrics, heldOut: heldOut,
                                                                    evaluation: evaluation, predictions: predictions)
        try DetectionTrainingTests.scorePyAgrees(model: model, images: images.paths, predict: images.predicted, dir: dir)
    }

    /// Ultralytics' release files pickle the whole model in half precision (`{"model": DetectionModel.half(),
    /// ...}`); import-model reads them without Python, to the same tensors as a converted state dict, names
    /// Ultralytics' 80 COCO classes, and the folder predicts.
    @Test func importModelReadsUltralyticsCheckpoints() throws {
        let dir = try TrainingSupport.temporaryDirectory("import-yolo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = """
            import contextlib, io, os, sys, torch
            import yolov5
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                from yolov5.models.yolo import DetectionModel
                torch.manual_seed(0)
                m = DetectionModel(os.path.join(os.path.dirname(yolov5.__file__), "models", "yolov5s.yaml"), nc=80)
            torch.save({"epoch": -1, "best_fitness": None, "model": m.half(), "ema": None, "updates": None,
                        "optimizer": None, "opt": {"imgsz": 640}, "git": None, "date": None}, sys.argv[1])
            torch.save({k: v.float() for k, v in m.state_dict().items()}, sys.argv[2])
            """
        let release = dir.appendingPathComponent("yolov5s.pt"), state = dir.appendingPathComponent("yolov5s_state.pt")
        let made = try TrainingSupport.run(TrainingSupport.repository.appendingPathComponent(".venv-yolo/bin/python"),
                                           ["-c", script, release.path, state.path], environment: ["YOLO_CONFIG_DIR": dir.path])
        try #require(made.status == 0, "\(made.stderr)")
        for (file, out) in [(release, "from-release"), (state, "from-state")] {
            let imported = try DetectionTrainingTests.spoolctl(["import-model", "--model", "yolov5s", "--weights", file.path,
                                                                "--out", dir.appendingPathComponent(out).path])
            try #require(imported.status == 0, "\(imported.stderr)")
        }
        let a = try Data(contentsOf: dir.appendingPathComponent("from-release/weights.safetensors"))
        let b = try Data(contentsOf: dir.appendingPathComponent("from-state/weights.safetensors"))
        #expect(a == b, "the pickled module and its state dict import to the same tensors")
        let manifest = try ModelManifest.read(from: dir.appendingPathComponent("from-release"))
        #expect(manifest.classes.count == 80 && manifest.classes.first == "person" && manifest.classes.last == "toothbrush")
        #expect(manifest.engineModelName == "yolov5s" && manifest.detection?.imgSize == 640)
        let images = try DetectionTrainingTests.heldOut(in: dir.appendingPathComponent("images"), images: 2, size: 128,
                                                        radius: 0.08...0.2)
        let paths = try LabeledImage.read(jsonl: images, task: .imageObjectDetection, classes: ["circle", "square", "triangle"]).map(\.path)
        let predicted = try DetectionTrainingTests.spoolctl(["predict", "--model", dir.appendingPathComponent("from-release").path, "--json"] + paths)
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let bare = try DetectionTrainingTests.spoolctl(["import-model", "--model", "yolov5", "--weights", release.path,
                                                        "--out", dir.appendingPathComponent("bare").path])
        #expect(bare.status != 0 && bare.stderr.contains("yolov5s, yolov5m, yolov5l or yolov5x"), "\(bare.stderr)")
    }
}
