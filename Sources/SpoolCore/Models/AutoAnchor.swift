import Foundation

/// YOLOv5's AutoAnchor (Ultralytics' check_anchors): how well the anchors fit a dataset's boxes at `img_size`,
/// and, when the best possible recall is under 0.98, new anchors from k-means on the boxes' sizes refined by a
/// genetic search. A box is reachable by an anchor when neither side ratio exceeds `threshold` (anchor_t 4.0).
public struct AutoAnchor: Sendable {
    /// Box sizes (width, height) in pixels at img_size.
    public var sizes: [(Double, Double)]
    public var threshold = 4.0
    public var generations = 1000

    /// Sizes from normalised box sizes and their images' sizes: each image scaled so its longer side is
    /// `imageSize`, each box by a random 0.9-1.1 (as Ultralytics does, so the check is not on the knife-edge).
    public init<R: RandomNumberGenerator>(boxes: [(width: Double, height: Double, imageWidth: Double, imageHeight: Double)],
                                          imageSize: Int, using rng: inout R) {
        sizes = boxes.map { b in
            let scale = Double(imageSize) / max(b.imageWidth, b.imageHeight) * Double.random(in: 0.9..<1.1, using: &rng)
            return (b.width * b.imageWidth * scale, b.height * b.imageHeight * scale)
        }
    }

    public init(sizes: [(Double, Double)]) { self.sizes = sizes }

    public struct Fit: Sendable, Equatable {
        /// Share of boxes some anchor can reach.
        public var bestPossibleRecall: Double
        /// Mean number of anchors that can reach a box.
        public var anchorsAboveThreshold: Double
    }

    /// `anchors`: (w, h) pairs in pixels.
    public func fit(_ anchors: [(Double, Double)]) -> Fit {
        guard !sizes.isEmpty else { return Fit(bestPossibleRecall: 1, anchorsAboveThreshold: Double(anchors.count)) }
        var reachable = 0.0, above = 0.0
        for s in sizes {
            var best = 0.0
            for a in anchors {
                let x = Self.ratio(s, a)
                best = max(best, x)
                if x > 1 / threshold { above += 1 }
            }
            if best > 1 / threshold { reachable += 1 }
        }
        return Fit(bestPossibleRecall: reachable / Double(sizes.count), anchorsAboveThreshold: above / Double(sizes.count))
    }

    /// The worse of the two side ratios (each taken <= 1) of a box and an anchor.
    public static func ratio(_ s: (Double, Double), _ a: (Double, Double)) -> Double {
        let rw = s.0 / a.0, rh = s.1 / a.1
        return min(min(rw, 1 / rw), min(rh, 1 / rh))
    }

    /// Ultralytics' anchor fitness: the mean best ratio over boxes, counting only reachable ones.
    func fitness(_ anchors: [(Double, Double)], _ boxes: [(Double, Double)]) -> Double {
        guard !boxes.isEmpty else { return 0 }
        var sum = 0.0
        for s in boxes {
            let best = anchors.map { Self.ratio(s, $0) }.max() ?? 0
            if best > 1 / threshold { sum += best }
        }
        return sum / Double(boxes.count)
    }

    /// `count` anchors for these boxes, smallest area first: k-means on sizes whitened by their spread, then
    /// `generations` rounds of random mutation keeping whatever improves the fitness.
    public func compute<R: RandomNumberGenerator>(count: Int = 9, using rng: inout R) -> [(Double, Double)] {
        let boxes = sizes.filter { $0.0 >= 2 || $0.1 >= 2 }  // boxes under 2 px carry no shape
        guard boxes.count >= count else { return [] }
        let mean = (boxes.map(\.0).reduce(0, +) / Double(boxes.count), boxes.map(\.1).reduce(0, +) / Double(boxes.count))
        func std(_ v: [Double], _ m: Double) -> Double { max(1e-9, (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()) }
        let spread = (std(boxes.map(\.0), mean.0), std(boxes.map(\.1), mean.1))
        let points = boxes.map { ($0.0 / spread.0, $0.1 / spread.1) }
        var anchors = Self.kMeans(points, count: count, iterations: 30, using: &rng).map { ($0.0 * spread.0, $0.1 * spread.1) }
        var best = fitness(anchors, boxes)
        for _ in 0..<generations {
            var factors = [(Double, Double)](repeating: (1, 1), count: count)
            while factors.allSatisfy({ $0 == (1, 1) }) {
                let strength = Double.random(in: 0..<1, using: &rng)
                func factor() -> Double {
                    guard Double.random(in: 0..<1, using: &rng) < 0.9 else { return 1 }
                    return min(3, max(0.3, strength * Self.gaussian(using: &rng) * 0.1 + 1))
                }
                factors = (0..<count).map { _ in (factor(), factor()) }
            }
            let candidate = zip(anchors, factors).map { (max(2, $0.0 * $1.0), max(2, $0.1 * $1.1)) }
            let f = fitness(candidate, boxes)
            if f > best { best = f; anchors = candidate }
        }
        return anchors.sorted { $0.0 * $0.1 < $1.0 * $1.1 }
    }

    /// Lloyd's k-means with k-means++ seeding.
    static func kMeans<R: RandomNumberGenerator>(_ points: [(Double, Double)], count: Int, iterations: Int,
                                                 using rng: inout R) -> [(Double, Double)] {
        func distance(_ a: (Double, Double), _ b: (Double, Double)) -> Double { (a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1) }
        var centres = [points[Int.random(in: 0..<points.count, using: &rng)]]
        while centres.count < count {
            let weights = points.map { p in centres.map { distance(p, $0) }.min() ?? 0 }
            let total = weights.reduce(0, +)
            guard total > 0 else { centres.append(points[Int.random(in: 0..<points.count, using: &rng)]); continue }
            var pick = Double.random(in: 0..<total, using: &rng), chosen = points.count - 1
            for (i, w) in weights.enumerated() {
                pick -= w
                if pick < 0 { chosen = i; break }
            }
            centres.append(points[chosen])
        }
        for _ in 0..<iterations {
            var sums = [(Double, Double)](repeating: (0, 0), count: count), counts = [Int](repeating: 0, count: count)
            for p in points {
                let nearest = centres.indices.min { distance(p, centres[$0]) < distance(p, centres[$1]) }!
                sums[nearest].0 += p.0
                sums[nearest].1 += p.1
                counts[nearest] += 1
            }
            for i in 0..<count where counts[i] > 0 { centres[i] = (sums[i].0 / Double(counts[i]), sums[i].1 / Double(counts[i])) }
        }
        return centres
    }

    /// A standard normal draw (Box-Muller).
    static func gaussian<R: RandomNumberGenerator>(using rng: inout R) -> Double {
        let u = max(Double.random(in: 0..<1, using: &rng), 1e-12), v = Double.random(in: 0..<1, using: &rng)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    /// Ultralytics' default anchors (P3, P4, P5), in pixels.
    public static let defaultAnchors: [(Double, Double)] = [(10, 13), (16, 30), (33, 23), (30, 61), (62, 45), (59, 119),
                                                            (116, 90), (156, 198), (373, 326)]
}
