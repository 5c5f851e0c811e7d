import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// Every catalogue model, built by score.py from the model.json Spool writes, scores as the engine does: an
/// untrained model folder per engine model (its weights saved by the engine), `spoolctl predict --json` on
/// two images, and score.py (the test venv: Debian's torch and torchvision, OpenCV, timm) on the same ones, in one
/// Python process.
/// Classifiers: probabilities within 1e-4; detectors: score.py builds the architecture and loads the engine's
/// weights strictly (every tensor by name and shape), and scores without error (their detections are compared on
/// trained models, where scores do not tie).
enum CatalogueScoring {
    static let bin = TrainingSupport.repository.appendingPathComponent(".build/debug")

    /// Each engine model of the catalogue (yolov5 by its sizes), with the task it is scored for.
    static var everyModel: [String] {
        ModelCatalog.entries.filter(\.available).flatMap(\.engineModels)
    }

    /// One model of each architecture score.py builds differently: the fast tier's share.
    /// (torchvision's ViT, whose weights alone are 330 MB, is the long tier's: timm's ViT takes the same path.)
    static let representatives = ["mobilenetv2", "resnet18", "resnest50", "seresnext", "vits16r224",
                                  "fasterrcnn_resnet18_fpn", "fasterrcnn_mobilenet_v3_large_fpn", "maskrcnn_resnet18_fpn",
                                  "retinanet_resnet50_fpn", "fcos_resnet50_fpn", "yolov5s"]

    /// An untrained model folder for `engineModel`, as training writes one (weights, model.json, score.py), at
    /// small sizes: classifiers resize to 40 and crop 32; detectors 64 to 96 px (yolov5: a 64 px letterbox).
    static func modelFolder(_ engineModel: String, in dir: URL) throws -> (folder: URL, task: ImageTask) {
        let (name, sized) = try #require(ModelCatalog.engineModel(named: engineModel))
        let task: ImageTask = switch name.tasks {
        case .classification: .imageClassification
        case .objectDetection: .imageObjectDetection
        case .instanceSegmentation: .imageInstanceSegmentation
        }
        var p = TrainingParameters.defaults(task: task, model: name)
        p.modelSize = sized.modelSize
        p.validResizeSize = 40
        p.validCropSize = 32
        p.trainCropSize = 32
        p.minSize = 64
        p.maxSize = 96
        p.imgSize = 64
        let classes = ["circle", "square", "triangle"]
        let head = TaskHeads.head(for: task)
        let model = try Model(head.modelOptions(p, classes: classes, device: "cpu", pretrained: false))
        let folder = dir.appendingPathComponent(engineModel)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try model.save(to: folder.appendingPathComponent("weights.safetensors").path)
        try head.manifest(p, classes: classes, primaryMetric: nil, source: "CatalogueScoring").write(to: folder)
        try ScoringScript.write(into: folder)
        return (folder, task)
    }

    static let driver = #"""
        import importlib.util, json, sys, torch
        torch.set_num_threads(1)
        scripts, images = sys.argv[1].split(","), sys.argv[2:]
        out = {}
        for n, script in enumerate(scripts):
            spec = importlib.util.spec_from_file_location("score_%d" % n, script)
            score = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(score)
            score.init()
            out[script] = json.loads(score.run([open(p, "rb").read() for p in images]))
        print(json.dumps(out))
        """#

    /// Builds, predicts and scores `models`, checking each.
    static func check(_ models: [String]) throws {
        let dir = try TrainingSupport.temporaryDirectory("catalogue-scoring")
        defer { try? FileManager.default.removeItem(at: dir) }
        try EngineRuntime.setThreads(nil)
        var images: [String] = []
        var rng = SplitMix64(seed: 5)
        for (width, height) in [(72, 56), (50, 90)] {
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    let inside = abs(x - width / 2) < width / 4 && abs(y - height / 2) < height / 4
                    for c in 0..<3 { pixels[(y * width + x) * 3 + c] = UInt8((inside ? 200 : 40) + Int(rng.next() % 40) + 5 * c) }
                }
            }
            let path = dir.appendingPathComponent("image-\(width)x\(height).png").path
            try ImageLoader.write(path: path, pixels: pixels, width: width, height: height, channels: 3)
            images.append(path)
        }
        var folders: [(model: String, folder: URL, task: ImageTask, predict: [[String: Any]])] = []
        for model in models {
            let (folder, task) = try modelFolder(model, in: dir)
            let predict = try TrainingSupport.run(bin.appendingPathComponent("spoolctl"), ["predict", "--model", folder.path, "--json"] + images,
                                                  environment: ["OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"])
            try #require(predict.status == 0, "\(model): \(predict.stderr)")
            let results = try #require(try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [[String: Any]])
            folders.append((model, folder, task, results))
        }
        let driverFile = dir.appendingPathComponent("driver.py")
        try driver.write(to: driverFile, atomically: true, encoding: .utf8)
        let scripts = folders.map { $0.folder.appendingPathComponent(ScoringScript.fileName).path }
        // The test venv (Debian's torch and torchvision, with OpenCV for segmentation's polygons and timm).
        let python = TrainingSupport.repository.appendingPathComponent(".venv-test/bin/python")
        let scored = try TrainingSupport.run(python, [driverFile.path, scripts.joined(separator: ",")] + images,
                                             environment: ["OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "AZUREML_MODEL_DIR": nil])
        try #require(scored.status == 0, "\(scored.stderr)")
        let byScript = try #require(try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: [[String: Any]]])
        for (f, script) in zip(folders, scripts) {
            let have = try #require(byScript[script], "\(f.model): score.py gave nothing")
            try #require(have.count == images.count, "\(f.model): \(have.count) results for \(images.count) images")
            var worst = 0.0, detections = 0
            for (i, (want, got)) in zip(f.predict, have).enumerated() {
                if f.task.isClassification {
                    #expect(got["labels"] as? [String] == want["labels"] as? [String], "\(f.model) image \(i)")
                    let p = want["probs"] as? [Double] ?? [], q = got["probs"] as? [Double] ?? []
                    try #require(p.count == 3 && q.count == 3, "\(f.model) image \(i): \(p.count) and \(q.count) probabilities")
                    for (a, b) in zip(p, q) { worst = max(worst, abs(a - b)) }
                    continue
                }
                // Detectors: score.py built the architecture model.json names and took the engine's weights
                // tensor for tensor (its init loads strictly), and scored the image. Untrained detectors' scores
                // tie, so which of them NMS keeps is not theirs to agree on: the detections of each family are
                // compared on trained models (DetectionTrainingTests, SegmentationTrainingTests, YOLOv5TrainingTests,
                // FCOSTrainingTests, MobileNetV3DetectorTests).
                #expect(got["error"] == nil, "\(f.model) image \(i): \(got["error"] ?? "")")
                #expect(got["boxes"] is [[String: Any]] && want["boxes"] is [[String: Any]], "\(f.model) image \(i): no boxes list")
                detections += (got["boxes"] as? [[String: Any]] ?? []).count
            }
            if f.task.isClassification {
                print("score.py vs spoolctl predict, \(f.model): max |prob diff| \(worst)")
                #expect(worst <= 1e-4, "\(f.model): max |prob diff| \(worst)")
            } else {
                print("score.py built \(f.model), loaded the engine's weights strictly and scored \(detections) detections")
            }
        }
    }
}

/// The fast tier: one model of each architecture score.py builds differently.
@Suite(.serialized)
struct CatalogueScoringTests {
    /// score.py's table is the catalogue's: it builds every engine model and nothing else, each read as its
    /// recipe's meta-architecture.
    @Test func scorePyBuildsEveryCatalogueModel() throws {
        let dir = try TrainingSupport.temporaryDirectory("catalogue-names")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ScoringScript.write(into: dir)
        let listed = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython), ["-c", """
            import sys; sys.path.insert(0, sys.argv[1])
            from spool_scoring import architectures
            print("\\n".join("%s %s" % item for item in sorted(architectures.ENGINE_MODELS.items())))
            """, dir.path])
        try #require(listed.status == 0, "\(listed.stderr)")
        let names = listed.stdout.split(separator: "\n").map(String.init)
        let catalogue = ModelCatalog.entries.filter(\.available).flatMap { entry in
            entry.engineModels.map { "\($0) \(entry.metaArchitecture.rawValue)" }
        }
        #expect(names == catalogue.sorted())
    }

    @Test func representativesScoreAsTheEngine() throws {
        try CatalogueScoring.check(CatalogueScoring.representatives)
    }
}

/// The long tier: every other catalogue model.
@Suite(.serialized, .longTier)
struct CatalogueScoringLongTests {
    @Test func everyOtherModelScoresAsTheEngine() throws {
        try CatalogueScoring.check(CatalogueScoring.everyModel.filter { !CatalogueScoring.representatives.contains($0) })
    }
}
