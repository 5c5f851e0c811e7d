import Foundation
import SpoolEngine
import Testing

/// Ultralytics' YOLOv5 7.0 (the PyPI package on Debian's torch) and Spool's, from the same random weights: the
/// same decoded head output (yolov5s at 320 and 640; m, l and x at 128), the same detections after NMS, and the
/// same loss components as Ultralytics' ComputeLoss on a fixed batch with fixed targets.
@Suite(.serialized)
struct YOLOv5ParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let model: String
        let size: Int
        var testDescription: String { "\(model) at \(size)" }
    }

    static let cases = [Case(model: "yolov5s", size: 320), Case(model: "yolov5s", size: 640),
                        Case(model: "yolov5m", size: 128), Case(model: "yolov5l", size: 128), Case(model: "yolov5x", size: 128)]
    static let classes = 3

    typealias Reference = TestSupport.DetectorExport

    static func reference(_ c: Case) throws -> Reference {
        try TestSupport.exportDetector(python: TestSupport.yoloPython, script: "export_yolov5.py", name: "yolo-parity-\(c.model)-\(c.size)",
                                       arguments: { [c.model, $0.path, "--classes", "\(classes)", "--size", "\(c.size)", "--seed", "3"] },
                                       environment: { ["YOLO_CONFIG_DIR": $0.path] })
    }

    static func model(_ c: Case, weights: URL) throws -> Model {
        var options = ModelOptions(name: c.model, task: .objectDetection, numClasses: classes)
        options.imageSize = c.size
        options.boxScoreThreshold = 0.1
        options.boxNMSThreshold = 0.5
        options.detectionsPerImage = 100
        let model = try Model(options)
        let report = try model.load(weights: weights.path, replaceHead: false)
        #expect(report.loaded > 0 && report.unexpected == 0 && report.missing == 0, "\(report)")
        return model
    }

    /// The reference's images in order, with their objects when `objects` (boxes normalised to the image).
    static func loader(_ ref: Reference, size: Int, objects: Bool) throws -> ImageLoader {
        let dataset = try Dataset(task: .objectDetection, numClasses: classes)
        for (i, target) in ref.targets.enumerated() {
            let image = try dataset.addImage(ref.dir.appendingPathComponent("image\(i).png").path)
            guard objects else { continue }
            let boxes = target["boxes"] as! [[Double]], labels = target["labels"] as! [Int]
            let s = Double(size)
            for (box, label) in zip(boxes, labels) {
                try dataset.addObject(image: image, classID: label, box: box.map { Float($0 / s) })
            }
        }
        var options = LoaderOptions()
        options.batchSize = ref.targets.count
        options.train = false
        return try ImageLoader(dataset: dataset, options: options)
    }

    /// One export per case (it is the slow part): raw outputs, then detections (yolov5s), then the losses.
    @Test(arguments: cases)
    func matchesUltralytics(_ c: Case) throws {
        try EngineRuntime.setThreads(1)
        defer { try? EngineRuntime.setThreads(nil) }
        let ref = try Self.reference(c)
        defer { try? FileManager.default.removeItem(at: ref.dir) }
        try rawOutputs(c, ref)
        if c.model == "yolov5s" { try detections(c, ref) }
        try losses(c, ref)
    }

    func rawOutputs(_ c: Case, _ ref: Reference) throws {
        let model = try Self.model(c, weights: ref.dir.appendingPathComponent("weights.safetensors"))
        let loader = try Self.loader(ref, size: c.size, objects: false)
        try loader.startEpoch(0)
        let batch = try #require(try loader.next())
        #expect(batch.height == c.size && batch.width == c.size)
        let ours = try model.forwardRaw(batch.images, batch: batch.size, height: c.size, width: c.size)
        let (expected, shape) = try TestSupport.readFloatTensor(ref.dir.appendingPathComponent("raw.safetensors"), key: "output")
        let cells = (c.size / 8) * (c.size / 8) + (c.size / 16) * (c.size / 16) + (c.size / 32) * (c.size / 32)
        #expect(shape == [batch.size, 3 * cells, 5 + Self.classes], "\(shape)")
        try #require(ours.count == expected.count, "\(ours.count) values, Ultralytics \(expected.count)")
        // Within 1e-4 of each value's scale: pixels for the box, probabilities for the rest.
        var worst = 0.0
        for (a, b) in zip(ours, expected) { worst = max(worst, Double(abs(a - b)) / max(1, Double(abs(b)))) }
        print("yolov5 raw parity \(c.model) at \(c.size): \(expected.count) values, max scaled difference \(worst)")
        #expect(worst <= 1e-4, "raw outputs differ by \(worst) of scale")
    }

    func detections(_ c: Case, _ ref: Reference) throws {
        let model = try Self.model(c, weights: ref.dir.appendingPathComponent("weights.safetensors"))
        let prediction = try Prediction(model: model, loader: try Self.loader(ref, size: c.size, objects: false))
        for (i, expected) in ref.detections.enumerated() {
            let (detections, width, height) = try prediction.detections(image: i)
            let boxes = expected["boxes"] as! [[Double]], scores = expected["scores"] as! [Double], labels = expected["labels"] as! [Int]
            #expect(scores.count > 10, "the reference should detect plenty: \(scores.count)")
            #expect(detections.count == scores.count, "image \(i): \(detections.count) detections, Ultralytics \(scores.count)")
            var worstBox = 0.0, worstScore = 0.0, labelMismatches = 0
            for (k, d) in detections.prefix(scores.count).enumerated() {
                let pixels = [Double(d.box[0]) * Double(width), Double(d.box[1]) * Double(height),
                              Double(d.box[2]) * Double(width), Double(d.box[3]) * Double(height)]
                worstBox = max(worstBox, (0..<4).map { abs(pixels[$0] - boxes[k][$0]) / max(1, abs(boxes[k][$0])) }.max() ?? 0)
                worstScore = max(worstScore, abs(Double(d.score) - scores[k]) / max(1e-6, abs(scores[k])))
                if d.label != labels[k] { labelMismatches += 1 }
            }
            print("yolov5 NMS parity \(c.model) at \(c.size) image \(i): \(detections.count) detections, max box diff \(worstBox), max score diff \(worstScore)")
            #expect(worstBox <= 1e-4, "image \(i): boxes differ by \(worstBox) (relative)")
            #expect(worstScore <= 1e-4, "image \(i): scores differ by \(worstScore) (relative)")
            #expect(labelMismatches == 0, "image \(i): \(labelMismatches) labels differ")
        }
    }

    func losses(_ c: Case, _ ref: Reference) throws {
        let model = try Self.model(c, weights: ref.dir.appendingPathComponent("weights.safetensors"))
        let loader = try Self.loader(ref, size: c.size, objects: true)
        try loader.startEpoch(0)
        var options = TrainerOptions()
        options.learningRate = 0
        options.momentum = 0
        options.weightDecay = 0
        options.memoryFormat = .contiguous  // Ultralytics' layout: no measuring steps before this one
        let trainer = try Trainer(model: model, options: options)
        let step = try #require(try trainer.step(loader))
        #expect(Set(step.losses.keys) == ["loss_box", "loss_obj", "loss_cls"], "\(step.losses.keys.sorted())")
        for (name, expected) in ref.losses {
            let got = step.losses[name] ?? .nan
            print("yolov5 loss parity \(c.model) at \(c.size) \(name): \(got) vs \(expected)")
            #expect(expected > 0, "\(name) should be positive in the reference")
            #expect(abs(got - expected) <= 1e-4 * max(1, abs(expected)), "\(name): \(got), Ultralytics \(expected)")
        }
    }
}
