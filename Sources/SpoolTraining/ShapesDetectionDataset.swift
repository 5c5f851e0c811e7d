import Foundation
import SpoolCore
import SpoolEngine

/// Generates images of coloured shapes with their boxes (object detection) or polygons (instance
/// segmentation), as a complete bundle folder: settings.yaml, train.jsonl and images/. Nothing is
/// downloaded; the same seed gives the same files.
///
/// Each image holds one to `maxObjects` shapes (circle, square, triangle) of varied sizes at random places
/// that do not overlap, on a noisy background; the label of an object is its shape. Boxes are the shapes'
/// tight bounds; polygons follow their outlines (a circle as a 24-gon).
public struct ShapesDetectionDataset: Sendable {
    public var images = 60
    public var size = 128
    public var maxObjects = 3
    public var segmentation = false
    public var seed: UInt64 = 1
    public var formats = ["png"]
    /// The smallest and largest shape radius as a share of the image side.
    public var radius: ClosedRange<Double> = 0.08...0.2

    public init() {}

    struct Shape {
        var kind: Int
        var cx: Double, cy: Double, r: Double

        func contains(_ x: Double, _ y: Double) -> Bool {
            let dx = x - cx, dy = y - cy
            switch kind {
            case 0: return dx * dx + dy * dy <= r * r
            case 1: return abs(dx) <= r * 0.85 && abs(dy) <= r * 0.85
            default:
                let t = (dy + r) / (2 * r)
                return t >= 0 && t <= 1 && abs(dx) <= t * r
            }
        }

        /// The outline, in pixels.
        var polygon: [Double] {
            switch kind {
            case 0: return (0..<24).flatMap { k -> [Double] in
                let a = Double(k) / 24 * 2 * .pi
                return [cx + r * cos(a), cy + r * sin(a)]
            }
            case 1: let h = r * 0.85; return [cx - h, cy - h, cx + h, cy - h, cx + h, cy + h, cx - h, cy + h]
            default: return [cx, cy - r, cx + r, cy + r, cx - r, cy + r]
            }
        }
    }

    /// Writes the bundle and returns the number of images.
    @discardableResult
    public func write(to folder: URL, settings: String? = nil) throws -> Int {
        let fm = FileManager.default
        let imagesFolder = folder.appendingPathComponent("images")
        try fm.createDirectory(at: imagesFolder, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: seed)
        var lines: [String] = []
        let s = Double(size)
        for i in 0..<images {
            var shapes: [Shape] = []
            let wanted = 1 + rng.int(0..<maxObjects)
            var attempts = 0
            while shapes.count < wanted, attempts < 100 {
                attempts += 1
                let r = s * (radius.lowerBound + rng.unit() * (radius.upperBound - radius.lowerBound))
                let cx = r + rng.unit() * (s - 2 * r), cy = r + rng.unit() * (s - 2 * r)
                // Apart from the others: an object's box never covers another's.
                if shapes.contains(where: { hypot($0.cx - cx, $0.cy - cy) < ($0.r + r) * 1.5 }) { continue }
                shapes.append(Shape(kind: i % 3 == shapes.count % 3 ? i % 3 : rng.int(0..<3), cx: cx, cy: cy, r: r))
            }
            let format = formats[i % formats.count]
            let name = String(format: "%04d.%@", i, format)
            var px = [UInt8](repeating: 0, count: size * size * 3)
            let bg = (0..<3).map { _ in UInt8(rng.int(0..<90)) }
            for k in 0..<(size * size) { for c in 0..<3 { px[k * 3 + c] = bg[c] &+ UInt8(rng.int(0..<25)) } }
            var objects: [String] = []
            for shape in shapes {
                let colour = (0..<3).map { _ in UInt8(rng.int(140..<256)) }
                var minX = size, minY = size, maxX = -1, maxY = -1
                for y in 0..<size {
                    for x in 0..<size where shape.contains(Double(x) + 0.5, Double(y) + 0.5) {
                        for c in 0..<3 { px[(y * size + x) * 3 + c] = colour[c] }
                        minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                    }
                }
                guard maxX >= minX, maxY >= minY else { continue }
                let label = ShapesDataset.shapes[shape.kind]
                if segmentation {
                    let points = shape.polygon.map { min(1, max(0, $0 / s)) }.map { String(format: "%.5f", $0) }
                    objects.append("{\"label\": \"\(label)\", \"isCrowd\": 0, \"polygon\": [[\(points.joined(separator: ", "))]]}")
                } else {
                    let box = [Double(minX) / s, Double(minY) / s, Double(maxX + 1) / s, Double(maxY + 1) / s]
                        .map { String(format: "%.5f", $0) }
                    objects.append("{\"label\": \"\(label)\", \"topX\": \(box[0]), \"topY\": \(box[1]), \"bottomX\": \(box[2]), \"bottomY\": \(box[3]), \"isCrowd\": 0}")
                }
            }
            try ImageLoader.write(path: imagesFolder.appendingPathComponent(name).path, pixels: px, width: size, height: size, channels: 3)
            lines.append("{\"image_url\": \"images/\(name)\", \"image_details\": {\"format\": \"\(format)\", \"width\": \"\(size)px\", \"height\": \"\(size)px\"}, \"label\": [\(objects.joined(separator: ", "))]}")
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        let task = segmentation ? "image_instance_segmentation" : "image_object_detection"
        let model = segmentation ? "maskrcnn_resnet18_fpn" : "fasterrcnn_resnet18_fpn"
        let text = settings ?? """
            task: \(task)
            training_data: {path: train.jsonl}
            limits: {timeout_minutes: 60, max_trials: 1}
            training_parameters:
              model_name: \(model)
              number_of_epochs: 12
              training_batch_size: 4
              validation_batch_size: 4
              learning_rate: 0.01
              optimizer: sgd
              warmup_cosine_lr_warmup_epochs: 1
              # The images are small: detect at their own size (torchvision's default is 800 px).
              min_size: \(size)
              max_size: \(size)
              split_ratio: 0.2
              early_stopping: 0
              validation_metric_type: coco_voc

            """
        try text.write(to: folder.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        return images
    }
}
