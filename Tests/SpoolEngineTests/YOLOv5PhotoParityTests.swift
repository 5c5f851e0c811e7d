import Foundation
import SpoolEngine
import Testing

/// YOLOv5 on real photographs (scikit-image's samples: square and landscape, scaled up, scaled down and not
/// scaled), against Ultralytics' yolov5 7.0 package as its detect.py runs them: the same weights (random,
/// calibrated to detect plenty), the same letterbox (8-bit pixels resized by OpenCV's INTER_LINEAR, minimal grey
/// padding to a multiple of 32, scale_boxes back). Every detection is found on both sides: same class, IoU >= 0.99
/// (or, for a box clipped to a sliver, every coordinate within 0.01 px), score within 2e-3 (docs/detection.md, "YOLOv5's letterbox"). score.py's YOLOv5 is checked in the same export:
/// its letterboxed image equals Ultralytics' bit for bit, and its detections are Ultralytics'.
@Suite(.serialized)
struct YOLOv5PhotoParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let model: String
        let size: Int
        var testDescription: String { "\(model) at \(size)" }
    }

    static let cases = [Case(model: "yolov5s", size: 640), Case(model: "yolov5m", size: 320)]
    static let classes = 3, score = 0.25, iou = 0.45, maxDetections = 300

    struct Photo {
        var name: String
        var width: Int, height: Int
        var boxes: [[Double]], scores: [Double], labels: [Int]
        var scorePy: [String: Any]
    }

    static func reference(_ c: Case) throws -> (dir: URL, photos: [Photo]) {
        let dir = try TestSupport.temporaryDirectory("yolo-photos-\(c.model)-\(c.size)")
        try TestSupport.run(TestSupport.yoloPython, [TestSupport.referenceScripts.appendingPathComponent("export_yolov5_photos.py").path,
                                                     c.model, dir.path, "--size", "\(c.size)", "--classes", "\(classes)",
                                                     "--score", "\(score)", "--iou", "\(iou)", "--max-det", "\(maxDetections)"],
                            environment: ["YOLO_CONFIG_DIR": dir.path])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("detections.json"))) as! [[String: Any]]
        let photos = json.map { p in
            Photo(name: p["name"] as! String, width: p["width"] as! Int, height: p["height"] as! Int,
                  boxes: p["boxes"] as! [[Double]], scores: p["scores"] as! [Double], labels: p["labels"] as! [Int],
                  scorePy: p["score_py"] as! [String: Any])
        }
        return (dir, photos)
    }

    static func iou(_ a: [Double], _ b: [Double]) -> Double {
        let w = max(0, min(a[2], b[2]) - max(a[0], b[0])), h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
        return union > 0 ? w * h / union : 0
    }

    /// How well two boxes agree: their IoU, or 1 when every coordinate is within 0.01 px (random heads put some
    /// boxes outside the photo, clipped to slivers under a pixel wide, whose IoU says nothing).
    static func agreement(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).allSatisfy { abs($0 - $1) <= 0.01 } ? 1 : iou(a, b)
    }

    /// Pairs each expected detection with the unpaired one of the same class that agrees with it most; returns the
    /// pairs' worst agreement and score difference and the detections of either side left unpaired (a detection within
    /// 2e-3 of the score threshold, or ranked among the last 5 kept by max_det, may fall on either side of the
    /// cut: those alone may be unpaired).
    static func pair(expected: [(box: [Double], score: Double, label: Int)], got: [(box: [Double], score: Double, label: Int)])
        -> (worstIoU: Double, worstScore: Double, unpaired: [String]) {
        var used = Set<Int>(), worstIoU = 1.0, worstScore = 0.0, unpaired: [String] = []
        func borderline(_ d: (box: [Double], score: Double, label: Int), rank: Int) -> Bool {
            d.score < score + 2e-3 || rank >= maxDetections - 5
        }
        for (rank, e) in expected.enumerated() {
            let best = got.indices.filter { !used.contains($0) && got[$0].label == e.label }
                .max { agreement(got[$0].box, e.box) < agreement(got[$1].box, e.box) }
            if let k = best, agreement(got[k].box, e.box) >= 0.5 {
                used.insert(k)
                worstIoU = min(worstIoU, agreement(got[k].box, e.box))
                worstScore = max(worstScore, abs(got[k].score - e.score))
            } else if !borderline(e, rank: rank) {
                unpaired.append("expected #\(rank) class \(e.label) score \(e.score) at \(e.box.map { Int($0) })")
            }
        }
        for (rank, g) in got.enumerated() where !used.contains(rank) && !borderline(g, rank: rank) {
            unpaired.append("extra #\(rank) class \(g.label) score \(g.score) at \(g.box.map { Int($0) })")
        }
        return (worstIoU, worstScore, unpaired)
    }

    @Test(arguments: cases)
    func detectsWhatUltralyticsDetectsOnPhotographs(_ c: Case) throws {
        try EngineRuntime.setThreads(1)
        defer { try? EngineRuntime.setThreads(nil) }
        let (dir, photos) = try Self.reference(c)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(photos.count == 5)

        var options = ModelOptions(name: c.model, task: .objectDetection, numClasses: Self.classes)
        options.imageSize = c.size
        options.boxScoreThreshold = Float(Self.score)
        options.boxNMSThreshold = Float(Self.iou)
        options.detectionsPerImage = Self.maxDetections
        let model = try Model(options)
        let report = try model.load(weights: dir.appendingPathComponent("weights.safetensors").path, replaceHead: false)
        #expect(report.loaded > 0 && report.unexpected == 0 && report.missing == 0, "\(report)")
        let dataset = try Dataset(task: .objectDetection, numClasses: Self.classes)
        for i in photos.indices { _ = try dataset.addImage(dir.appendingPathComponent("photo\(i).png").path) }
        var loaderOptions = LoaderOptions()
        loaderOptions.batchSize = 1
        loaderOptions.train = false
        let prediction = try Prediction(model: model, loader: try ImageLoader(dataset: dataset, options: loaderOptions))

        var total = 0
        for (i, photo) in photos.enumerated() {
            let expected = (0..<photo.scores.count).map { (box: photo.boxes[$0], score: photo.scores[$0], label: photo.labels[$0]) }
            total += expected.count
            let (detections, width, height) = try prediction.detections(image: i)
            #expect(width == photo.width && height == photo.height)
            let got = detections.map { d in
                (box: [Double(d.box[0]) * Double(width), Double(d.box[1]) * Double(height),
                       Double(d.box[2]) * Double(width), Double(d.box[3]) * Double(height)], score: Double(d.score), label: d.label)
            }
            let engine = Self.pair(expected: expected, got: got)
            print("yolov5 photo parity \(c.model) at \(c.size), \(photo.name) \(photo.width)x\(photo.height): \(got.count) detections, "
                  + "Ultralytics \(expected.count); worst box agreement \(engine.worstIoU) (IoU; 1 within 0.01 px), worst score difference \(engine.worstScore)")
            #expect(engine.unpaired.isEmpty, "\(photo.name): \(engine.unpaired.prefix(5))")
            #expect(engine.worstIoU >= 0.99, "\(photo.name): a box overlaps Ultralytics' by IoU \(engine.worstIoU)")
            #expect(engine.worstScore <= 2e-3, "\(photo.name): a score differs from Ultralytics' by \(engine.worstScore)")

            // score.py: the same letterboxed pixels, the same detections.
            #expect(photo.scorePy["letterbox_identical"] as? Bool == true, "\(photo.name): score.py's letterbox differs")
            let boxes = photo.scorePy["boxes"] as! [[Double]], scores = photo.scorePy["scores"] as! [Double]
            let labels = photo.scorePy["labels"] as! [Int]
            let scorePy = Self.pair(expected: expected, got: (0..<scores.count).map { (box: boxes[$0], score: scores[$0], label: labels[$0]) })
            #expect(scorePy.unpaired.isEmpty && scorePy.worstIoU >= 0.99 && scorePy.worstScore <= 2e-3,
                    "\(photo.name): score.py \(scorePy)")
        }
        #expect(total > 100, "the reference should detect plenty on the photos: \(total)")
    }
}
