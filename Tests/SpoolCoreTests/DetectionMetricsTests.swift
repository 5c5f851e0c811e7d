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

    func reference(_ images: [EvaluationImage], classes: Int, iou: Double,
                   masks: [(truths: [RunLengthMask], detections: [RunLengthMask])]? = nil) throws -> [String: Any] {
        let payload: [String: Any] = ["classes": classes, "iou": iou, "iou_type": masks == nil ? "bbox" : "segm",
                                      "images": images.enumerated().map { i, im in
            ["width": im.width, "height": im.height,
             "truths": im.truths.enumerated().map { k, t in
                 var o: [String: Any] = ["box": t.box, "label": t.label, "crowd": t.isCrowd]
                 if let masks { o["rle"] = masks[i].truths[k].counts.map(Int.init) }
                 return o
             },
             "detections": im.detections.enumerated().map { k, d in
                 var o: [String: Any] = ["box": d.box, "label": d.label, "score": d.score]
                 if let masks { o["rle"] = masks[i].detections[k].counts.map(Int.init) }
                 return o
             }] as [String: Any]
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

    /// An ellipse inscribed in a box (x1, y1, x2, y2 in pixels), as a mask of the image's size.
    static func ellipse(_ box: [Double], width: Int, height: Int) -> RunLengthMask {
        var mask = [UInt8](repeating: 0, count: width * height)
        let cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2, rx = (box[2] - box[0]) / 2, ry = (box[3] - box[1]) / 2
        for y in 0..<height {
            for x in 0..<width {
                let dx = (Double(x) + 0.5 - cx) / rx, dy = (Double(y) + 0.5 - cy) / ry
                if dx * dx + dy * dy <= 1 { mask[y * width + x] = 1 }
            }
        }
        return RunLengthMask(mask: mask, height: height, width: width)
    }

    /// Mask mAP (segm): the same images with an ellipse in every box; pycocotools' COCOeval on the masks as RLE
    /// (the twelve numbers and per-class AP, to 1e-6) and VOC with mask IoU; the box metrics beside them equal
    /// the box evaluation's.
    @Test(arguments: [1, 2] as [UInt64])
    func maskMetricsEqualPycocotoolsSegm(seed: UInt64) throws {
        let boxes = Self.images(seed: seed)
        var images: [EvaluationImage] = []
        var masks: [(truths: [RunLengthMask], detections: [RunLengthMask])] = []
        for im in boxes {
            let w = Int(im.width), h = Int(im.height)
            let truths = im.truths.map { Self.ellipse($0.box, width: w, height: h) }
            let detections = im.detections.map { Self.ellipse($0.box, width: w, height: h) }
            masks.append((truths, detections))
            images.append(EvaluationImage(width: im.width, height: im.height, truths: im.truths, truthMasks: truths,
                                          detections: im.detections, detectionMasks: detections))
        }
        let classes = ["a", "b", "c", "never"]
        let metrics = DetectionMetrics.evaluate(task: .imageInstanceSegmentation, images: images, classes: classes,
                                                metricType: "coco_voc", iouThreshold: 0.5, iouType: "segm")
        let ref = try reference(boxes, classes: 4, iou: 0.5, masks: masks)
        let stats = try #require(ref["coco_stats"] as? [Double])
        let mine = try #require(metrics.cocoStats)
        for (k, (a, b)) in zip(mine, stats).enumerated() {
            #expect(abs(a - b) <= 1e-6, "segm stat \(k) (\(DetectionMetrics.cocoStatNames[k])): \(a) vs pycocotools \(b)")
        }
        for (k, value) in (ref["coco_per_class"] as? [Any] ?? []).enumerated() {
            let expected = value as? Double, got = metrics.perLabel[k].cocoAveragePrecision
            #expect((expected == nil) == (got == nil))
            if let expected, let got { #expect(abs(got - expected) <= 1e-6, "class \(k) segm AP \(got) vs \(expected)") }
        }
        let vocMAP = try #require(ref["voc_map"] as? Double)
        #expect(abs((metrics.vocMeanAveragePrecision ?? -1) - vocMAP) <= 1e-9, "\(String(describing: metrics.vocMeanAveragePrecision)) vs \(vocMAP)")
        // Masks are not their boxes: the numbers differ from the box evaluation, which sits beside them.
        let boxMetrics = DetectionMetrics.evaluate(task: .imageObjectDetection, images: boxes, classes: classes,
                                                   metricType: "coco_voc", iouThreshold: 0.5)
        #expect(metrics.boxCocoStats == boxMetrics.cocoStats && metrics.boxVocMeanAveragePrecision == boxMetrics.vocMeanAveragePrecision)
        #expect(metrics.cocoStats != boxMetrics.cocoStats)
        #expect(metrics.scalarMetrics["box_coco_map"] == boxMetrics.cocoStats?[0])
    }

    @Test func runLengthsCountAndIntersect() {
        // 3 x 2, column-major: column 0 = (0, 1, 1), column 1 = (1, 0, 0).
        let a = RunLengthMask(mask: [0, 1, 1, 0, 1, 0], height: 3, width: 2)
        #expect(a.counts == [1, 3, 2] && a.area == 3)
        let full = RunLengthMask(mask: [1, 1, 1, 1, 1, 1], height: 3, width: 2)
        #expect(full.counts == [0, 6] && a.intersection(full) == 3)
        #expect(a.iou(truth: full, crowd: false) == 0.5 && a.iou(truth: full, crowd: true) == 1)
        let empty = RunLengthMask(mask: [0, 0, 0, 0, 0, 0], height: 3, width: 2)
        #expect(empty.counts == [6] && empty.area == 0 && empty.iou(truth: empty, crowd: false) == 0)
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
