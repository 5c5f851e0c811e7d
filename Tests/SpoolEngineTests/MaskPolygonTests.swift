import Foundation
import SpoolCore
import SpoolEngine
import Testing

/// Polygons to masks (the ground truth of segmentation) and masks to polygons (its outputs): a generated
/// shape comes back within one pixel of its outline, every part of a multi-part object is kept, and the point
/// limit holds.
@Suite struct MaskPolygonTests {
    /// Distance from a point to a closed polygon's outline.
    static func distance(_ x: Double, _ y: Double, to polygon: [Float]) -> Double {
        let n = polygon.count / 2
        var best = Double.infinity
        for i in 0..<n {
            let ax = Double(polygon[2 * i]), ay = Double(polygon[2 * i + 1])
            let bx = Double(polygon[2 * ((i + 1) % n)]), by = Double(polygon[2 * ((i + 1) % n) + 1])
            let dx = bx - ax, dy = by - ay
            let t = max(0, min(1, ((x - ax) * dx + (y - ay) * dy) / max(1e-12, dx * dx + dy * dy)))
            best = min(best, hypot(x - (ax + t * dx), y - (ay + t * dy)))
        }
        return best
    }

    static func circle(cx: Float, cy: Float, r: Float, points: Int = 24) -> [Float] {
        (0..<points).flatMap { k -> [Float] in
            let a = Float(k) * 2 * .pi / Float(points)
            return [cx + r * cos(a), cy + r * sin(a)]
        }
    }

    static let shapes: [(name: String, parts: [[Float]])] = [
        ("circle", [circle(cx: 40.3, cy: 35.7, r: 21.4)]),
        ("square", [[60.2, 50.2, 100.8, 50.2, 100.8, 90.6, 60.2, 90.6]]),
        ("triangle", [[10.5, 90.1, 50.0, 60.4, 45.2, 98.9]]),
        ("two parts", [circle(cx: 25, cy: 25, r: 12, points: 16), [70.3, 10.2, 110.7, 10.2, 110.7, 40.6, 70.3, 40.6]]),
    ]

    @Test(arguments: shapes.indices)
    func aShapeComesBackWithinOnePixel(_ index: Int) throws {
        let (name, parts) = Self.shapes[index]
        let width = 120, height = 100
        let mask = try Masks.rasterize(parts, height: height, width: width)
        // The mask holds the pixels whose centres are inside: its area is the polygon's, within the outline's pixels.
        let area = mask.reduce(0) { $0 + Int($1) }
        var polygonArea = 0.0, perimeter = 0.0
        for p in parts {
            let n = p.count / 2
            var twice = 0.0
            for i in 0..<n {
                let j = (i + 1) % n
                let xi = Double(p[2 * i]), yi = Double(p[2 * i + 1]), xj = Double(p[2 * j]), yj = Double(p[2 * j + 1])
                twice += xi * yj - xj * yi
                perimeter += hypot(xj - xi, yj - yi)
            }
            polygonArea += abs(twice) / 2
        }
        #expect(abs(Double(area) - polygonArea) <= perimeter / 2, "\(name): \(area) pixels for an area of \(polygonArea)")

        let back = try Masks.polygons(mask, height: height, width: width, maxPoints: 100)
        #expect(back.count == parts.count, "\(name): \(back.count) parts for \(parts.count)")
        var worst = 0.0
        for part in back {
            #expect(part.count >= 6 && part.count <= 200)
            let original = parts.min { a, b in
                Self.distance(Double(part[0]), Double(part[1]), to: a) < Self.distance(Double(part[0]), Double(part[1]), to: b)
            }!
            for k in stride(from: 0, to: part.count, by: 2) {
                worst = max(worst, Self.distance(Double(part[k]), Double(part[k + 1]), to: original))
            }
        }
        print("polygon round trip \(name): \(back.map { $0.count / 2 }) points, farthest vertex \(worst) px from the outline")
        #expect(worst <= 1.0, "\(name): a vertex lies \(worst) px from the outline")

        // Rasterised again, the outline covers the same pixels but for its border.
        let again = try Masks.rasterize(back, height: height, width: width)
        let same = zip(mask, again).filter { $0 == $1 }.count
        #expect(Double(width * height - same) <= perimeter, "\(name): \(width * height - same) pixels differ")
    }

    @Test func thePointLimitHolds() throws {
        let parts = [Self.circle(cx: 50, cy: 50, r: 40, points: 90)]
        let mask = try Masks.rasterize(parts, height: 100, width: 100)
        let full = try Masks.polygons(mask, height: 100, width: 100, maxPoints: 100)
        #expect(full.count == 1 && full[0].count / 2 > 8, "\(full.map(\.count))")
        for limit in [3, 8, 20] {
            let bounded = try Masks.polygons(mask, height: 100, width: 100, maxPoints: limit)
            #expect(bounded.count == 1 && bounded[0].count / 2 <= limit && bounded[0].count / 2 >= 3, "limit \(limit): \(bounded.map(\.count))")
        }
        // A single pixel has no area to outline; an empty mask no polygon.
        var dot = [UInt8](repeating: 0, count: 100)
        dot[55] = 1
        #expect(try Masks.polygons(dot, height: 10, width: 10, maxPoints: 100).isEmpty)
        #expect(try Masks.polygons([UInt8](repeating: 0, count: 100), height: 10, width: 10, maxPoints: 100).isEmpty)
    }

    /// Section 8's augmentations (horizontal flip, expand, IoU crop) move an object's polygons with its pixels:
    /// rasterised after the transforms, the polygons cover the object's colour and little else.
    @Test func polygonsFollowThePixelsThroughAugmentation() throws {
        let dir = try TestSupport.temporaryDirectory("polygon-augment")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try Dataset(task: .instanceSegmentation, numClasses: 1)
        let side = 96
        for i in 0..<6 {
            // A red triangle, its corners varying per image, on grey.
            let a = Float(10 + 4 * i), b = Float(80 - 3 * i)
            let triangle: [Float] = [a, 12, b, 30 + Float(i), 30, b]
            let mask = try Masks.rasterize([triangle], height: side, width: side)
            var pixels = [UInt8](repeating: 90, count: side * side * 3)
            for p in 0..<(side * side) where mask[p] == 1 { pixels[3 * p] = 240; pixels[3 * p + 1] = 20; pixels[3 * p + 2] = 20 }
            let path = dir.appendingPathComponent("\(i).png").path
            try ImageLoader.write(path: path, pixels: pixels, width: side, height: side, channels: 3)
            let image = try dataset.addImage(path)
            let xs = stride(from: 0, to: 6, by: 2).map { triangle[$0] }, ys = stride(from: 1, to: 6, by: 2).map { triangle[$0] }
            let s = Float(side)
            let object = try dataset.addObject(image: image, classID: 0,
                                               box: [xs.min()! / s, ys.min()! / s, xs.max()! / s, ys.max()! / s])
            try dataset.addPolygon(image: image, object: object, xy: triangle.map { $0 / s })
        }
        var options = LoaderOptions()
        options.train = true
        options.batchSize = 2
        options.horizontalFlipProbability = 0.5
        options.expandProbability = 0.5
        options.cropProbability = 0.5
        options.photometricProbability = 0
        options.seed = 7
        let loader = try ImageLoader(dataset: dataset, options: options)
        var objects = 0, covered = 0, maskPixels = 0, red = 0, redInside = 0, moved = 0
        for epoch in 0..<4 {
            try loader.startEpoch(epoch)
            while let batch = try loader.next() {
                let plane = batch.height * batch.width
                for (k, items) in batch.objects.enumerated() {
                    let (h, w) = batch.imageSizes[k]
                    if h != side || w != side { moved += 1 }
                    for o in items where !o.polygons.isEmpty {
                        objects += 1
                        let mask = try Masks.rasterize(o.polygons, height: h, width: w)
                        for y in 0..<h {
                            for x in 0..<w {
                                let base = k * 3 * plane + y * batch.width + x
                                let isRed = batch.images[base] > 0.7 && batch.images[base + plane] < 0.3 && batch.images[base + 2 * plane] < 0.3
                                if isRed { red += 1 }
                                if mask[y * w + x] == 1 {
                                    maskPixels += 1
                                    if isRed { covered += 1; redInside += 1 }
                                }
                            }
                        }
                    }
                }
            }
        }
        let precision = Double(covered) / Double(max(1, maskPixels)), recall = Double(redInside) / Double(max(1, red))
        print("augmented polygons: \(objects) objects, \(moved) images resized by expand or crop; mask pixels red \(precision), red pixels in masks \(recall)")
        #expect(objects >= 20 && moved > 0)
        #expect(precision >= 0.85 && recall >= 0.9, "precision \(precision), recall \(recall)")
    }
}
