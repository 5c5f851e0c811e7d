import Foundation
import SpoolCore
import SpoolEngine

/// Generates labelled images of coloured shapes, as a complete bundle folder: settings.yaml, train.jsonl
/// and images/. Nothing is downloaded; the same seed gives the same files.
///
/// Multiclass: one shape per image (circle, square or triangle), the label is the shape. Multilabel: zero to
/// three different shapes per image, the labels are the shapes present. Colours, sizes, positions and
/// background are random, so colour alone never gives the answer.
public struct ShapesDataset: Sendable {
    public static let shapes = ["circle", "square", "triangle"]

    public var imagesPerClass = 20
    public var size = 64
    public var multilabel = false
    public var seed: UInt64 = 1
    /// Image file extension; cycling through formats exercises every decoder.
    public var formats = ["png"]

    public init() {}

    /// Writes the bundle and returns the number of images.
    @discardableResult
    public func write(to folder: URL, settings: String? = nil) throws -> Int {
        let fm = FileManager.default
        let images = folder.appendingPathComponent("images")
        try fm.createDirectory(at: images, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: seed)
        var lines: [String] = []
        let total = imagesPerClass * Self.shapes.count
        for i in 0..<total {
            let present: [Int]
            if multilabel {
                present = (0..<Self.shapes.count).filter { _ in rng.unit() < 0.5 }
            } else {
                present = [i % Self.shapes.count]
            }
            let format = formats[i % formats.count]
            let name = String(format: "%04d.%@", i, format)
            let pixels = render(present, rng: &rng)
            try ImageLoader.write(path: images.appendingPathComponent(name).path, pixels: pixels, width: size,
                                  height: size, channels: 3)
            let label = multilabel
                ? "[" + present.map { "\"\(Self.shapes[$0])\"" }.joined(separator: ", ") + "]"
                : "\"\(Self.shapes[present[0]])\""
            lines.append("{\"image_url\": \"images/\(name)\", \"image_details\": {\"format\": \"\(format)\", \"width\": \"\(size)px\", \"height\": \"\(size)px\"}, \"label\": \(label)}")
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        let task = multilabel ? "image_classification_multilabel" : "image_classification"
        let text = settings ?? """
            task: \(task)
            training_data: {path: train.jsonl}
            limits: {timeout_minutes: 30, max_trials: 1}
            training_parameters:
              model_name: resnet18
              number_of_epochs: 15
              training_batch_size: 16
              validation_batch_size: 32
              learning_rate: \(multilabel ? 0.03 : 0.01)
              optimizer: sgd
              warmup_cosine_lr_warmup_epochs: 1
              train_crop_size: \(size)
              valid_resize_size: \(size)
              valid_crop_size: \(size)
              split_ratio: 0.25
              early_stopping: 0
              # Spool's augmentation keys: crops keep most of the shape, whose kind is the label.
              augmentation_crop_scale_min: \(multilabel ? 0.85 : 0.6)

            """
        try text.write(to: folder.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        return total
    }

    /// RGB rows of one image holding the given shapes.
    func render(_ present: [Int], rng: inout SplitMix64) -> [UInt8] {
        let s = size
        var px = [UInt8](repeating: 0, count: s * s * 3)
        let bg = (0..<3).map { _ in UInt8(rng.int(0..<90)) }
        for i in 0..<(s * s) { for c in 0..<3 { px[i * 3 + c] = bg[c] &+ UInt8(rng.int(0..<20)) } }
        let count = max(1, present.count)
        for (k, shape) in present.enumerated() {
            let colour = (0..<3).map { _ in UInt8(rng.int(140..<256)) }
            // Each shape gets its own vertical band when several share an image, so they do not overlap.
            let band = Double(s) / Double(count)
            let radius = Double(rng.int(Int(band * 0.22)..<max(Int(band * 0.22) + 1, Int(min(band, Double(s)) * 0.42))))
            let cx = Double(rng.int(Int(radius)..<max(Int(radius) + 1, s - Int(radius))))
            let lo = band * Double(k) + radius, hi = band * Double(k + 1) - radius
            let cy = hi > lo ? lo + rng.unit() * (hi - lo) : band * (Double(k) + 0.5)
            for y in 0..<s {
                for x in 0..<s {
                    let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
                    let inside: Bool
                    switch shape {
                    case 0: inside = dx * dx + dy * dy <= radius * radius
                    case 1: inside = abs(dx) <= radius * 0.85 && abs(dy) <= radius * 0.85
                    default:  // upward triangle: apex at top, base at the bottom
                        let t = (dy + radius) / (2 * radius)
                        inside = t >= 0 && t <= 1 && abs(dx) <= t * radius
                    }
                    if inside { for c in 0..<3 { px[(y * s + x) * 3 + c] = colour[c] } }
                }
            }
        }
        return px
    }
}

extension SplitMix64 {
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
}
