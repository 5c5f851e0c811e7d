import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// Object detection from bundle to model folder, through the built `spoolctl`, in the fast tier (docs/testing.md):
/// a Faster R-CNN trained for seconds on small images halves its loss and beats chance on held-out images; its
/// model folder reloads to the same metric and predictions, score.py gives `spoolctl predict`'s boxes, and 3x3
/// tiles run through `evaluate`. Images are detected at their own size (torchvision's default would be 800 px).
/// DetectionLearningLongTests (the long tier) hold the thresholds at 96 px: mAP 0.8, tiles finding small objects,
/// RetinaNet.
@Suite(.serialized)
struct DetectionTrainingTests {
    typealias Output = TrainingSupport.Output
    static let bin = TrainingSupport.repository.appendingPathComponent(".build/debug")

    static func spoolctl(_ arguments: [String]) throws -> Output {
        try TrainingSupport.run(bin.appendingPathComponent("spoolctl"), arguments,
                                environment: ["OPENBLAS_NUM_THREADS": "1", "AZUREML_MODEL_DIR": nil])
    }

    /// A bundle of `train` + `valid` generated images (the last `valid` are validation_data).
    static func bundle(in dir: URL, model: String, train: Int, valid: Int, epochs: Int, learningRate: Double,
                       extra: [String] = ["optimizer: sgd"], segmentation: Bool = false, size: Int = 96) throws -> URL {
        let radius = Self.radius
        let folder = dir.appendingPathComponent("bundle")
        var shapes = ShapesDetectionDataset()
        shapes.images = train + valid
        shapes.size = size
        shapes.radius = radius
        shapes.seed = 1
        shapes.segmentation = segmentation
        let settings = """
            task: \(segmentation ? "image_instance_segmentation" : "image_object_detection")
            training_data: {path: train.jsonl}
            validation_data: {path: valid.jsonl}
            training_parameters:
              model_name: \(model)
              number_of_epochs: \(epochs)
              training_batch_size: 4
              validation_batch_size: 4
              learning_rate: \(learningRate)
              warmup_cosine_lr_warmup_epochs: 1
              min_size: \(size)
              max_size: \(size)
              early_stopping: 0
              validation_metric_type: coco_voc

            """ + extra.map { "  \($0)\n" }.joined()
        try shapes.write(to: folder, settings: settings)
        let lines = try String(contentsOf: folder.appendingPathComponent("train.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        try (lines.prefix(train).joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        try (lines.suffix(valid).joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("valid.jsonl"), atomically: true, encoding: .utf8)
        return folder
    }

    /// Shape radii as a share of the 96 px side: boxes of 23 to 48 px, which the smallest anchors (32 px) match.
    static let radius = 0.12...0.25

    /// Images none of the training images are: another seed.
    static func heldOut(in dir: URL, images: Int, size: Int = 96, radius: ClosedRange<Double> = Self.radius,
                        maxObjects: Int = 3, seed: UInt64 = 99, segmentation: Bool = false) throws -> URL {
        var shapes = ShapesDetectionDataset()
        shapes.segmentation = segmentation
        shapes.images = images
        shapes.size = size
        shapes.radius = radius
        shapes.maxObjects = maxObjects
        shapes.seed = seed
        try shapes.write(to: dir)
        return dir.appendingPathComponent("train.jsonl")
    }

    static func evaluate(_ arguments: [String]) throws -> EvaluationDocument {
        let result = try spoolctl(["evaluate", "--json"] + arguments)
        try #require(result.status == 0, "\(result.stderr)")
        return try ContractCoding.decoder().decode(EvaluationDocument.self, from: Data(result.stdout.utf8))
    }

    static func voc(_ document: EvaluationDocument) -> Double? {
        document.report.detection?.vocMeanAveragePrecision
    }

    /// `spoolctl train BUNDLE --seed 3` into DIR/run; its metrics.json, each epoch printed.
    static func train(_ bundle: URL, in dir: URL) throws -> (URL, MetricsDocument) {
        let run = dir.appendingPathComponent("run")
        let train = try spoolctl(["train", bundle.path, "--out", run.path, "--seed", "3", "--quiet"])
        try #require(train.status == 0, "\(train.stderr)")
        let metrics = try MetricsDocument.read(from: run.appendingPathComponent(MetricsDocument.fileName))
        print("\(run.path): per epoch \(metrics.history.map { "\($0.epoch): loss \($0.trainLoss) \($0.losses ?? [:]) mAP \($0.metrics?["mean_average_precision"] ?? -1) \($0.imagesPerSecond) img/s" })")
        return (run, metrics)
    }

    /// Faster R-CNN (ResNet-18 FPN) from scratch on 16 images of 64 px: the loss halves in a few epochs and held-out
    /// mAP@0.5 beats random boxes; then every way of scoring the model agrees (reload, predict, score.py, tiles).
    @Test func fasterRCNNLearnsAndItsOutputsAgree() throws {
        let dir = try TrainingSupport.temporaryDirectory("detect-frcnn-fast")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try Self.bundle(in: dir, model: "fasterrcnn_resnet18_fpn", train: 16, valid: 4, epochs: 4, learningRate: 0.01,
                                     extra: ["optimizer: sgd", "evaluation_frequency: 2", "box_score_thresh: 0.05"], size: 64)
        let (run, metrics) = try Self.train(bundle, in: dir)
        let losses = metrics.history.map(\.trainLoss)
        #expect(losses.last! < losses.first! * 0.5, "the training loss falls: \(losses)")
        for name in ["loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"] {
            #expect(metrics.history.allSatisfy { $0.losses?[name]?.isFinite == true }, "every epoch logs \(name)")
        }
        let examples = try DetectionExamples.read(from: run.appendingPathComponent(DetectionExamples.fileName))
        #expect(!examples.images.isEmpty && examples.images.allSatisfy { !$0.truths.isEmpty })
        for image in examples.images {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(image.thumbnail).path))
            #expect((image.truths + image.predictions).allSatisfy { $0.box.allSatisfy { (0...1).contains($0) } }, "\(image)")
        }

        let model = run.appendingPathComponent("model")
        let heldOut = try Self.heldOut(in: dir.appendingPathComponent("held-out"), images: 8, size: 64)
        let predictions = dir.appendingPathComponent("predictions.jsonl")
        let evaluation = try Self.evaluate(["--model", model.path, heldOut.path, "--predictions", predictions.path])
        let map = try #require(Self.voc(evaluation))
        let classes = evaluation.report.detection?.classNames ?? []
        let chance = try Self.chanceMAP(images: LabeledImage.read(jsonl: heldOut, task: .imageObjectDetection, classes: classes),
                                        classes: classes)
        print("Faster R-CNN resnet18-FPN, 16 images x 4 epochs at 64 px: held-out VOC mAP@0.5 \(map), chance \(chance); "
              + "train loss \(losses.first!) -> \(losses.last!)")
        #expect(map > 2 * chance, "held-out mAP@0.5 \(map), chance \(chance)")

        let images = try Self.reloadedModelAgrees(model: model, bundle: bundle, metrics: metrics, heldOut: heldOut,
                                                  evaluation: evaluation, predictions: predictions)
        try Self.scorePyAgrees(model: model, images: images.paths, predict: images.predicted, dir: dir)
        // Tiles: a 3x3 grid over larger images goes through evaluate (the long tier shows they find small objects).
        let large = try Self.heldOut(in: dir.appendingPathComponent("large"), images: 2, size: 192, radius: 0.04...0.08, seed: 5)
        let tiled = try Self.evaluate(["--model", model.path, large.path, "--tile-grid", "3x3"])
        #expect(Self.voc(tiled) != nil)
    }

    /// The model folder, reloaded, scores the bundle's validation set as training did at its best epoch, and
    /// `spoolctl predict` (another process, another reload) gives `evaluate`'s held-out predictions exactly.
    /// Returns the first six held-out images with predict's results, for score.py.
    static func reloadedModelAgrees(model: URL, bundle: URL, metrics: MetricsDocument, heldOut: URL,
                                    evaluation: EvaluationDocument, predictions: URL,
                                    task: ImageTask = .imageObjectDetection) throws -> (paths: [String], predicted: [[String: Any]]) {
        let again = try Self.evaluate(["--model", model.path, "--bundle", bundle.path])
        #expect(abs(again.primaryMetric.value - metrics.primaryMetric.value) < 1e-9,
                "reloaded \(again.primaryMetric.value), in training \(metrics.primaryMetric.value)")
        let images = try LabeledImage.read(jsonl: heldOut, task: task, classes: (evaluation.report.detection?.classNames ?? []))
        let predict = try Self.spoolctl(["predict", "--model", model.path, "--json"] + images.map(\.path))
        try #require(predict.status == 0, "\(predict.stderr)")
        let fromPredict = try #require(try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [[String: Any]])
        let fromEvaluate = try String(contentsOf: predictions, encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        try #require(fromPredict.count == images.count && fromEvaluate.count == images.count)
        var boxes = 0
        for (a, b) in zip(fromPredict, fromEvaluate) {
            let x = a["boxes"] as? [[String: Any]] ?? [], y = b["boxes"] as? [[String: Any]] ?? []
            #expect(NSDictionary(dictionary: ["b": x]).isEqual(to: ["b": y]), "\(a["filename"] ?? "")")
            boxes += x.count
        }
        #expect(boxes > images.count, "\(boxes) boxes on \(images.count) images")
        return (images.prefix(6).map(\.path), Array(fromPredict.prefix(6)))
    }

    /// score.py's boxes for `images` equal `spoolctl predict`'s: same labels, coordinates and scores within 1e-3;
    /// and with `polygons`, the same polygons (as many parts and points, coordinates within 1e-3).
    static func scorePyAgrees(model: URL, images: [String], predict: [[String: Any]], dir: URL, polygons: Bool = false,
                              python: String = TrainingSupport.debianPython) throws {
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
        let scored = try TrainingSupport.run(URL(fileURLWithPath: python),
                                             [driver.path, model.appendingPathComponent(ScoringScript.fileName).path] + images,
                                             environment: ["OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "AZUREML_MODEL_DIR": nil])
        try #require(scored.status == 0, "\(scored.stderr)")
        let results = try #require(try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [[String: Any]])
        try #require(results.count == images.count)
        var worst = 0.0
        for (i, (want, have)) in zip(predict, results).enumerated() {
            let a = want["boxes"] as? [[String: Any]] ?? [], b = have["boxes"] as? [[String: Any]] ?? []
            try #require(a.count == b.count, "image \(i): predict \(a.count) boxes, score.py \(b.count)")
            for (p, q) in zip(a, b) {
                #expect(p["label"] as? String == q["label"] as? String, "image \(i)")
                let pb = p["box"] as? [String: Double] ?? [:], qb = q["box"] as? [String: Double] ?? [:]
                for key in ["topX", "topY", "bottomX", "bottomY"] { worst = max(worst, abs((pb[key] ?? -1) - (qb[key] ?? 1))) }
                worst = max(worst, abs((p["score"] as? Double ?? -1) - (q["score"] as? Double ?? 1)))
                guard polygons else { continue }
                let pp = p["polygon"] as? [[Double]], qp = q["polygon"] as? [[Double]]
                try #require(pp != nil && qp != nil, "image \(i): a box without its polygon")
                #expect(pp!.map(\.count) == qp!.map(\.count), "image \(i): polygons \(pp!.map(\.count)) vs \(qp!.map(\.count))")
                for (a, b) in zip(pp!, qp!) where a.count == b.count {
                    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
                }
            }
        }
        print("score.py vs spoolctl predict (\(polygons ? "segmentation" : "detection")): max difference \(worst)")
        #expect(worst <= 1e-3, "max difference \(worst)")
    }

    /// The VOC mAP@0.5 of 100 random boxes an image with random labels and scores (seeded).
    static func chanceMAP(images: [LabeledImage], classes: [String]) throws -> Double {
        var rng = SplitMix64(seed: 11)
        var evaluation: [EvaluationImage] = []
        for image in images {
            let size = try ImageLoader.probe(path: image.path)
            let w = Double(size.width), h = Double(size.height)
            let truths = image.objects.map {
                EvaluationImage.Box(box: [$0.box.topX * w, $0.box.topY * h, $0.box.bottomX * w, $0.box.bottomY * h], label: $0.classIndex, isCrowd: $0.isCrowd)
            }
            let guesses = (0..<100).map { _ -> EvaluationImage.Box in
                func unit() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
                let bw = (0.1 + 0.3 * unit()) * w, bh = (0.1 + 0.3 * unit()) * h
                let x = unit() * (w - bw), y = unit() * (h - bh)
                return EvaluationImage.Box(box: [x, y, x + bw, y + bh], label: rng.uniform(below: classes.count), score: unit())
            }
            evaluation.append(EvaluationImage(width: w, height: h, truths: truths, detections: guesses))
        }
        let metrics = DetectionMetrics.evaluate(task: .imageObjectDetection, images: evaluation, classes: classes,
                                                metricType: "voc", iouThreshold: 0.5)
        return TaskReport.detection(metrics).primaryValue
    }
}

extension DetectionTrainingTests {
    /// A file shaped as torchvision's COCO-trained Faster R-CNN (`fasterrcnn_resnet50_fpn_coco-*.pth`: frozen
    /// BatchNorm, so no num_batches_tracked; 91 outputs) imports without --labels, names torchvision's COCO
    /// categories, and predicts; a head of another size is refused with what it needs.
    @Test func importModelTakesATorchvisionCOCODetector() throws {
        let dir = try TrainingSupport.temporaryDirectory("import-coco")
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("fasterrcnn_resnet50_fpn_coco.pth")
        let script = """
            import json, sys, torch, torchvision
            from torchvision.models.detection import FasterRCNN_ResNet50_FPN_Weights, fasterrcnn_resnet50_fpn
            torch.manual_seed(0)
            model = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=91)
            state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
            torch.save(state, sys.argv[1])
            small = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=5)
            torch.save(small.state_dict(), sys.argv[2])
            print(json.dumps(FasterRCNN_ResNet50_FPN_Weights.COCO_V1.meta["categories"]))
            """
        let small = dir.appendingPathComponent("five.pth")
        let exported = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython), ["-c", script, weights.path, small.path])
        try #require(exported.status == 0, "\(exported.stderr)")
        let categories = try #require(try JSONSerialization.jsonObject(with: Data(exported.stdout.utf8)) as? [String])
        #expect(categories == COCOCategories.names, "Spool's COCO names are torchvision's")

        let folder = dir.appendingPathComponent("coco")
        let imported = try Self.spoolctl(["import-model", "--model", "fasterrcnn_resnet50_fpn", "--weights", weights.path,
                                          "--out", folder.path, "--min-size", "128", "--max-size", "128"])
        try #require(imported.status == 0, "\(imported.stderr)")
        let manifest = try ModelManifest.read(from: folder)
        #expect(manifest.classes == Array(categories.dropFirst()), "the 90 categories after the background")
        #expect(manifest.task == .imageObjectDetection && manifest.detection?.minSize == 128)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("score.py").path))

        let image = dir.appendingPathComponent("street.png")
        try ImageLoader.write(path: image.path, pixels: (0..<(160 * 120 * 3)).map { UInt8(($0 * 37) % 251) },
                              width: 160, height: 120, channels: 3)
        let predicted = try Self.spoolctl(["predict", "--model", folder.path, "--json", image.path])
        try #require(predicted.status == 0, "\(predicted.stderr)")
        let results = try #require(try JSONSerialization.jsonObject(with: Data(predicted.stdout.utf8)) as? [[String: Any]])
        #expect(results.count == 1 && results[0]["boxes"] is [Any], "\(predicted.stdout)")

        let wrong = try Self.spoolctl(["import-model", "--model", "fasterrcnn_resnet50_fpn", "--weights", small.path,
                                       "--out", dir.appendingPathComponent("wrong").path])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("roi_heads.box_predictor.cls_score.weight") && wrong.stderr.contains("91 outputs")
                && wrong.stderr.contains("--labels"), "\(wrong.stderr)")
    }
}
