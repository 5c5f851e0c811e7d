import Foundation
import Testing
@testable import SpoolCore

/// Detection metrics against the references on fixed predictions: pycocotools' COCOeval (the twelve numbers
/// and per-class AP, to 1e-6) and a Pascal VOC evaluation (all-point AP), with crowd regions, images without
/// objects, a class with objects but no detections and a class that never occurs.
@Suite struct DetectionMetricsTests {
    static let venvPython = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".venv-test/bin/python").path
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("reference/detection_metrics.py").path

    /// Seeded images: truths of classes 0-2 (class 3 never occurs), some crowd; detections near the truths
    /// (true positives of varied quality), duplicates, and false alarms; class 2 never detected.
    static func images(seed: UInt64) -> [EvaluationImage] {
        var rng = SplitMix64(seed: seed)
        func unit() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        var images: [EvaluationImage] = []
        for i in 0..<12 {
            let w = 200 + Double(i * 17 % 90), h = 160 + Double(i * 29 % 70)
            var truths: [EvaluationImage.Box] = [], detections: [EvaluationImage.Box] = []
            let count = i % 4 == 3 ? 0 : 1 + Int(unit() * 4)  // every fourth image has no object
            for _ in 0..<count {
                let side = [8.0, 20, 40, 70, 110][Int(unit() * 5)]  // small, medium and large areas
                let x = unit() * (w - side), y = unit() * (h - side * 0.8)
                let box = [x, y, x + side, y + side * 0.8]
                let label = Int(unit() * 3)
                let crowd = unit() < 0.12
                truths.append(.init(box: box, label: label, isCrowd: crowd))
                if label != 2, unit() < 0.85 {
                    let jitter = side * (unit() - 0.5) * 0.3
                    detections.append(.init(box: box.map { $0 + jitter }, label: label, score: 0.3 + unit() * 0.7))
                    if unit() < 0.25 {  // a duplicate
                        detections.append(.init(box: box.map { $0 - jitter * 0.5 }, label: label, score: unit() * 0.6))
                    }
                }
            }
            for _ in 0..<Int(unit() * 3) {  // false alarms, class 3 included
                let x = unit() * (w - 30), y = unit() * (h - 30), side = 10 + unit() * 20
                detections.append(.init(box: [x, y, x + side, y + side], label: Int(unit() * 4), score: unit() * 0.9))
            }
            images.append(EvaluationImage(width: w, height: h, truths: truths, detections: detections))
        }
        return images
    }

    func reference(_ images: [EvaluationImage], classes: Int, iou: Double) throws -> [String: Any] {
        let payload: [String: Any] = ["classes": classes, "iou": iou, "images": images.map { im in
            ["width": im.width, "height": im.height,
             "truths": im.truths.map { ["box": $0.box, "label": $0.label, "crowd": $0.isCrowd] as [String: Any] },
             "detections": im.detections.map { ["box": $0.box, "label": $0.label, "score": $0.score] as [String: Any] }] as [String: Any]
        }]
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.json")
        try JSONSerialization.data(withJSONObject: payload).write(to: input)
        let output = try ChildProcess.run(URL(fileURLWithPath: Self.venvPython), [Self.script, input.path], timeout: 120)
        guard output.succeeded, let object = try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any] else {
            throw ReferenceError.failed(status: output.status, output: output.stdoutText + output.stderrText)
        }
        return object
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func equalToPycocotoolsAndVOC(seed: UInt64) throws {
        let images = Self.images(seed: seed)
        let classes = ["a", "b", "c", "never"]
        let metrics = DetectionMetrics.evaluate(task: .imageObjectDetection, images: images, classes: classes,
                                                metricType: "coco_voc", iouThreshold: 0.5)
        let ref = try reference(images, classes: 4, iou: 0.5)
        let stats = try #require(ref["coco_stats"] as? [Double])
        let mine = try #require(metrics.cocoStats)
        for (k, (a, b)) in zip(mine, stats).enumerated() {
            #expect(abs(a - b) <= 1e-6, "COCO stat \(k) (\(DetectionMetrics.cocoStatNames[k])): \(a) vs pycocotools \(b)")
        }
        let perClass = ref["coco_per_class"] as? [Any] ?? []
        for (k, value) in perClass.enumerated() {
            let expected = value as? Double
            let got = metrics.perLabel[k].cocoAveragePrecision
            #expect((expected == nil) == (got == nil), "class \(k): \(String(describing: got)) vs \(String(describing: expected))")
            if let expected, let got { #expect(abs(got - expected) <= 1e-6, "class \(k) COCO AP \(got) vs \(expected)") }
        }
        let vocAP = ref["voc_ap"] as? [Any] ?? []
        for (k, value) in vocAP.enumerated() {
            let expected = value as? Double
            let got = metrics.perLabel[k].averagePrecision
            #expect((expected == nil) == (got == nil), "class \(k): \(String(describing: got)) vs \(String(describing: expected))")
            if let expected, let got { #expect(abs(got - expected) <= 1e-9, "class \(k) VOC AP \(got) vs \(expected)") }
        }
        let vocMAP = try #require(ref["voc_map"] as? Double)
        #expect(abs((metrics.vocMeanAveragePrecision ?? -1) - vocMAP) <= 1e-9)
        #expect(metrics.primaryMetricValue == metrics.vocMeanAveragePrecision)
        // The cases the data was built to hold.
        #expect(metrics.perLabel[2].averagePrecision == 0 && metrics.perLabel[2].support > 0)  // objects, never detected
        #expect(metrics.perLabel[3].averagePrecision == nil && metrics.perLabel[3].support == 0)  // never occurs
        #expect(images.contains { $0.truths.isEmpty } && images.contains { $0.truths.contains(where: \.isCrowd) })
    }

    @Test func perfectDetectionsScoreOne() {
        let images = [EvaluationImage(width: 100, height: 100,
                                      truths: [.init(box: [10, 10, 50, 50], label: 0), .init(box: [60, 60, 90, 95], label: 1)],
                                      detections: [.init(box: [10, 10, 50, 50], label: 0, score: 0.9),
                                                   .init(box: [60, 60, 90, 95], label: 1, score: 0.8)])]
        let m = DetectionMetrics.evaluate(task: .imageObjectDetection, images: images, classes: ["a", "b"], metricType: "coco_voc")
        #expect(m.vocMeanAveragePrecision == 1 && m.precision == 1 && m.recall == 1)
        #expect(abs((m.cocoStats?[0] ?? 0) - 1) < 1e-9)
    }
}
