import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// `predict`, `score` and `evaluate` take a detector's thresholds on the command line (`--box-score-thresh`,
/// `--box-iou-thresh`, `--max-detections`) in place of model.json's, refuse them out of range and for a
/// classifier; `evaluate` prints a table unless `--json`. On an untrained seeded Faster R-CNN (no training).
@Suite(.serialized)
struct DetectionThresholdTests {
    static let classes = ["circle", "square", "triangle"]

    static func spoolctl(_ arguments: [String]) throws -> TrainingSupport.Output {
        try CommandLineTests.spoolctl(arguments)
    }

    /// A model folder as training writes it, with the untrained model's weights (64 px, model.json's defaults
    /// otherwise: box_score_thresh 0.3, box_nms_thresh 0.5, box_detections_per_img 100).
    static func untrainedModel(_ name: ModelName, task: ImageTask, in dir: URL) throws -> URL {
        var p = TrainingParameters.defaults(task: task, model: name)
        p.minSize = 64
        p.maxSize = 64
        p.trainCropSize = 32
        p.validResizeSize = 32
        p.validCropSize = 32
        let head = TaskHeads.head(for: task)
        let folder = dir.appendingPathComponent(name.rawValue)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try EngineRuntime.seed(7)
        let model = try Model(head.modelOptions(p, classes: classes, device: "cpu", pretrained: false))
        let manifest = head.manifest(p, classes: classes, primaryMetric: nil, source: "DetectionThresholdTests")
        try model.save(to: folder.appendingPathComponent(manifest.weightsFile).path)
        try manifest.write(to: folder)
        return folder
    }

    static func boxes(_ output: String) throws -> [[[String: Any]]] {
        let list = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        return list.map { $0["boxes"] as? [[String: Any]] ?? [] }
    }

    static func iou(_ a: [String: Any], _ b: [String: Any]) -> Double {
        let p = a["box"] as? [String: Double] ?? [:], q = b["box"] as? [String: Double] ?? [:]
        let w = max(0, min(p["bottomX"]!, q["bottomX"]!) - max(p["topX"]!, q["topX"]!))
        let h = max(0, min(p["bottomY"]!, q["bottomY"]!) - max(p["topY"]!, q["topY"]!))
        let area = { (r: [String: Double]) in (r["bottomX"]! - r["topX"]!) * (r["bottomY"]! - r["topY"]!) }
        return w * h / max(area(p) + area(q) - w * h, 1e-12)
    }

    @Test func thresholdsOnTheCommandLineReplaceModelJSONs() throws {
        let dir = try TrainingSupport.temporaryDirectory("thresholds")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = dir.appendingPathComponent("boxes")
        #expect(try Self.spoolctl(["example", "--task", "detection", "--out", bundle.path, "--images", "10", "--size", "64"]).status == 0)
        let model = try Self.untrainedModel(.fasterrcnnResnet18FPN, task: .imageObjectDetection, in: dir)
        let images = (0..<2).map { bundle.appendingPathComponent("images/000\($0).png").path }

        // Score threshold 0: every detection the untrained model makes, up to 100.
        let all = try Self.spoolctl(["predict", "--model", model.path, "--json", "--box-score-thresh", "0"] + images)
        try #require(all.status == 0, "\(all.stderr)")
        let allBoxes = try Self.boxes(all.stdout)
        let first = allBoxes[0]
        let scores = first.map { $0["score"] as? Double ?? -1 }
        try #require(Set(scores).count >= 4, "an untrained detector at threshold 0 returns boxes: \(scores)")
        #expect(first.count <= 100)

        // A higher score threshold keeps exactly the boxes above it (halfway between two scores, so no tie);
        // --max-detections 3 keeps the 3 best; --box-iou-thresh 0 leaves no two boxes of a label overlapping.
        let distinct = Array(Set(scores)).sorted(by: >)
        let cut = (distinct[2] + distinct[3]) / 2
        let above = try Self.spoolctl(["predict", "--model", model.path, "--json", "--box-score-thresh", "\(cut)", images[0]])
        #expect(try Self.boxes(above.stdout)[0].count == scores.filter { $0 >= cut }.count, "\(above.stdout)")
        let three = try Self.spoolctl(["score", "--model", model.path, "--json", "--quiet", "--box-score-thresh", "0",
                                       "--max-detections", "3"] + images)
        try #require(three.status == 0, "\(three.stderr)")
        let threeBoxes = try Self.boxes(three.stdout)
        #expect(threeBoxes.map(\.count) == allBoxes.map { min($0.count, 3) })
        #expect(threeBoxes[0].map { $0["score"] as? Double ?? -1 } == Array(scores.prefix(3)))
        let apart = try Self.spoolctl(["predict", "--model", model.path, "--json", "--box-score-thresh", "0", "--box-iou-thresh", "0", images[0]])
        let apartBoxes = try Self.boxes(apart.stdout)[0]
        #expect(!apartBoxes.isEmpty && apartBoxes.count < first.count, "\(apartBoxes.count) of \(first.count)")
        for (i, a) in apartBoxes.enumerated() {
            for b in apartBoxes[(i + 1)...] where a["label"] as? String == b["label"] as? String {
                #expect(Self.iou(a, b) == 0)
            }
        }
        // model.json is as it was.
        #expect(try ModelManifest.read(from: model).detection?.boxScoreThresh == 0.3)

        // evaluate: a short table by default, the whole document with --json; the thresholds apply to both.
        let data = bundle.appendingPathComponent("train.jsonl").path
        let table = try Self.spoolctl(["evaluate", "--model", model.path, data, "--box-score-thresh", "0"])
        try #require(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("mean_average_precision: ") }, "\(table.stdout)")
        let header = try #require(lines.first { $0.hasPrefix("class ") })
        #expect(header.split(separator: " ") == ["class", "average_precision", "precision", "recall", "count"], "\(header)")
        for name in Self.classes { #expect(lines.contains { $0.hasPrefix(name + " ") }, "\(name): \(table.stdout)") }
        let json = try Self.spoolctl(["evaluate", "--model", model.path, data, "--json", "--box-score-thresh", "0",
                                      "--max-detections", "2", "--predictions", dir.appendingPathComponent("p.jsonl").path])
        try #require(json.status == 0, "\(json.stderr)")
        let document = try ContractCoding.decoder().decode(EvaluationDocument.self, from: Data(json.stdout.utf8))
        #expect(document.images == 10 && document.report.detection?.perLabel.count == 3)
        let predicted = try String(contentsOf: dir.appendingPathComponent("p.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(predicted.count == 10 && predicted.allSatisfy { (try? Self.boxes("[\($0)]")[0].count) ?? 99 <= 2 })

        // Out of range, or for a classifier: refused, saying why.
        let high = try Self.spoolctl(["predict", "--model", model.path, "--box-score-thresh", "1.5", images[0]])
        #expect(high.status != 0 && high.stderr.contains("--box-score-thresh 1.5") && high.stderr.contains("between 0 and 1"), "\(high.stderr)")
        let iou = try Self.spoolctl(["evaluate", "--model", model.path, data, "--box-iou-thresh=-0.1"])
        #expect(iou.status != 0 && iou.stderr.contains("--box-iou-thresh -0.1") && iou.stderr.contains("between 0 and 1"), "\(iou.stderr)")
        let none = try Self.spoolctl(["score", "--model", model.path, "--max-detections", "0", images[0]])
        #expect(none.status != 0 && none.stderr.contains("--max-detections 0") && none.stderr.contains("at least 1"), "\(none.stderr)")
        let classifier = try Self.untrainedModel(.resnet18, task: .imageClassification, in: dir)
        let refused = try Self.spoolctl(["predict", "--model", classifier.path, "--box-score-thresh", "0.5", images[0]])
        #expect(refused.status != 0 && refused.stderr.contains("--box-score-thresh 0.5: detection thresholds apply to object detection")
                && refused.stderr.contains("image_classification"), "\(refused.stderr)")
    }

    /// A classifier's evaluate table: precision, recall, F1 and the images of each class.
    @Test func evaluatePrintsAClassifiersTable() throws {
        let dir = try TrainingSupport.temporaryDirectory("evaluate-table")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = dir.appendingPathComponent("shapes")
        #expect(try Self.spoolctl(["example", "--out", bundle.path, "--per-class", "4", "--size", "32"]).status == 0)
        let model = try Self.untrainedModel(.resnet18, task: .imageClassification, in: dir)
        let table = try Self.spoolctl(["evaluate", "--model", model.path, bundle.appendingPathComponent("train.jsonl").path])
        try #require(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("accuracy: ") }, "\(table.stdout)")
        let header = try #require(lines.first { $0.hasPrefix("class ") })
        #expect(header.split(separator: " ") == ["class", "precision", "recall", "f1", "count"], "\(header)")
        for name in Self.classes {
            let row = try #require(lines.first { $0.hasPrefix(name + " ") }, "\(table.stdout)")
            #expect(row.split(separator: " ").last == "4", "\(row)")
        }
    }
}
