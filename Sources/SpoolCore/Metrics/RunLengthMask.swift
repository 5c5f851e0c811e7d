/// A binary mask as COCO's uncompressed run-length encoding: run lengths over the pixels in column-major
/// order, alternating zeros and ones, the first a run of zeros (possibly empty). What segmentation's mask IoU
/// is computed on, as pycocotools' `maskUtils.iou` does.
public struct RunLengthMask: Sendable, Hashable, Codable {
    public var height: Int
    public var width: Int
    public var counts: [UInt32]

    public init(height: Int, width: Int, counts: [UInt32]) {
        self.height = height
        self.width = width
        self.counts = counts
    }

    /// Encodes a row-major mask (height x width, non-zero is set).
    public init(mask: [UInt8], height: Int, width: Int) {
        precondition(mask.count == height * width, "the mask is not height x width")
        self.height = height
        self.width = width
        var counts: [UInt32] = []
        var current = false
        var run: UInt32 = 0
        for x in 0..<width {
            for y in 0..<height {
                let value = mask[y * width + x] != 0
                if value != current {
                    counts.append(run)
                    run = 0
                    current = value
                }
                run += 1
            }
        }
        counts.append(run)
        self.counts = counts
    }

    /// Pixels set.
    public var area: Int {
        stride(from: 1, to: counts.count, by: 2).reduce(0) { $0 + Int(counts[$1]) }
    }

    /// Pixels set in both masks (of the same size).
    public func intersection(_ other: RunLengthMask) -> Int {
        precondition(height == other.height && width == other.width, "masks of different sizes")
        var i = 0, j = 0
        var leftA = counts.first.map(Int.init) ?? 0, leftB = other.counts.first.map(Int.init) ?? 0
        var total = 0
        // Walk both run sequences; a run's value is its index's parity (odd runs are ones).
        while i < counts.count && j < other.counts.count {
            let step = min(leftA, leftB)
            if i % 2 == 1 && j % 2 == 1 { total += step }
            leftA -= step
            leftB -= step
            while leftA == 0 && i < counts.count {
                i += 1
                if i < counts.count { leftA = Int(counts[i]) }
            }
            while leftB == 0 && j < other.counts.count {
                j += 1
                if j < other.counts.count { leftB = Int(other.counts[j]) }
            }
        }
        return total
    }

    /// pycocotools' mask IoU of a detection (`self`) with a truth: intersection over union, or over the
    /// detection's area when the truth is a crowd region; 0 when both are empty.
    public func iou(truth: RunLengthMask, crowd: Bool) -> Double {
        let inter = Double(intersection(truth))
        let union = crowd ? Double(area) : Double(area + truth.area) - inter
        return union > 0 ? inter / union : 0
    }
}
