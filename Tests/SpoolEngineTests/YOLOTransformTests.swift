import Foundation
import SpoolEngine
import Testing

/// YOLOv5's training transforms move the boxes with the pixels: after mosaic, random affine (rotation, scale,
/// shear, translation) and flips, each box still frames its object, and the objects' pixels lie in their boxes.
@Suite struct YOLOTransformTests {
    /// Pure colours, one per class, on a dark background: a pixel's class is readable from its colour.
    static let colours: [[UInt8]] = [[250, 20, 20], [20, 250, 20], [20, 20, 250]]

    static func classOf(_ r: Float, _ g: Float, _ b: Float) -> Int? {
        let c = [r, g, b]
        guard let top = c.indices.max(by: { c[$0] < c[$1] }), c[top] > 0.6 else { return nil }
        return c.enumerated().allSatisfy { $0.offset == top || $0.element < 0.3 } ? top : nil
    }

    @Test func boxesFollowTheirObjects() throws {
        let dir = try TestSupport.temporaryDirectory("yolo-transforms")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try Dataset(task: .objectDetection, numClasses: 3)
        var rng = SplitMix(seed: 5)
        for i in 0..<8 {
            let w = 160, h = 120
            var pixels = [UInt8](repeating: 40, count: w * h * 3)
            let label = i % 3
            let bw = 30 + rng.next(40), bh = 25 + rng.next(35), x0 = rng.next(w - bw), y0 = rng.next(h - bh)
            for y in y0..<(y0 + bh) { for x in x0..<(x0 + bw) { for c in 0..<3 { pixels[(y * w + x) * 3 + c] = Self.colours[label][c] } } }
            let path = dir.appendingPathComponent("\(i).png").path
            try ImageLoader.write(path: path, pixels: pixels, width: w, height: h, channels: 3)
            let image = try dataset.addImage(path)
            try dataset.addObject(image: image, classID: label,
                                  box: [Float(x0) / Float(w), Float(y0) / Float(h), Float(x0 + bw) / Float(w), Float(y0 + bh) / Float(h)])
        }
        var options = LoaderOptions()
        options.train = true
        options.batchSize = 4
        options.input = .letterbox(side: 128)
        options.degrees = 10
        options.shear = 2
        options.hsvHue = 0
        options.hsvSaturation = 0
        options.hsvValue = 0
        options.seed = 3
        let loader = try ImageLoader(dataset: dataset, options: options)
        var boxes = 0, mosaics = 0, coloured = 0, inside = 0
        var shares: [Double] = []
        for epoch in 0..<3 {
            try loader.startEpoch(epoch)
            while let batch = try loader.next() {
                #expect(batch.height == 128 && batch.width == 128)
                let plane = 128 * 128
                for (k, objects) in batch.objects.enumerated() {
                    if objects.count > 1 { mosaics += 1 }
                    let base = k * 3 * plane
                    func cls(_ x: Int, _ y: Int) -> Int? {
                        Self.classOf(batch.images[base + y * 128 + x], batch.images[base + plane + y * 128 + x],
                                     batch.images[base + 2 * plane + y * 128 + x])
                    }
                    // Each box is mostly its object's colour (a rotated rectangle fills most of its bounds).
                    for o in objects {
                        boxes += 1
                        let x1 = Int(o.box[0].rounded()), y1 = Int(o.box[1].rounded())
                        let x2 = Int(o.box[2].rounded()), y2 = Int(o.box[3].rounded())
                        #expect(x1 >= 0 && y1 >= 0 && x2 <= 128 && y2 <= 128 && x2 > x1 && y2 > y1, "\(o.box)")
                        var same = 0
                        for y in y1..<y2 { for x in x1..<x2 where cls(x, y) == o.label { same += 1 } }
                        let share = Double(same) / Double(max(1, (x2 - x1) * (y2 - y1)))
                        // A small box rotated and sheared loses a border of blended pixels: each box holds a
                        // good part of its colour, and on average most (a box that missed its object holds none).
                        #expect(share >= 0.3, "epoch \(epoch): box \(o.box) of class \(o.label) holds \(share) of its colour")
                        shares.append(share)
                    }
                    // And the objects' pixels lie in boxes of their class (slivers whose boxes were dropped aside).
                    for y in 0..<128 {
                        for x in 0..<128 {
                            guard let c = cls(x, y) else { continue }
                            coloured += 1
                            if objects.contains(where: { $0.label == c && Float(x) + 0.5 >= $0.box[0] - 1 && Float(x) + 0.5 <= $0.box[2] + 1
                                && Float(y) + 0.5 >= $0.box[1] - 1 && Float(y) + 0.5 <= $0.box[3] + 1 }) { inside += 1 }
                        }
                    }
                }
            }
        }
        // multi_scale: batches resized to random multiples of 32 in 64-192 px train with finite losses.
        var modelOptions = ModelOptions(name: "yolov5s", task: .objectDetection, numClasses: 3)
        modelOptions.imageSize = 128
        modelOptions.multiScale = true
        let trainer = try Trainer(model: try Model(modelOptions), options: TrainerOptions())
        try loader.startEpoch(9)
        var steps = 0
        while let step = try trainer.step(loader) {
            steps += 1
            #expect(step.loss.isFinite && step.losses.values.allSatisfy(\.isFinite), "\(step.losses)")
        }
        #expect(steps == 2)
        print("yolo transforms: \(boxes) boxes, \(mosaics) images with several objects, \(inside) of \(coloured) object pixels inside their boxes")
        #expect(boxes > 20 && mosaics > 3)
        let meanShare = shares.reduce(0, +) / Double(max(1, shares.count))
        print("yolo transforms: boxes hold \(meanShare) of their colour on average, \(shares.min() ?? 0) at least")
        #expect(meanShare >= 0.6)
        #expect(Double(inside) >= 0.95 * Double(coloured), "\(inside) of \(coloured)")
    }
}

/// A small seeded generator for test data.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(1, bound)))
    }
}
