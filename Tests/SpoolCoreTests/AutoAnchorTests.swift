import SpoolCore
import Testing

/// YOLOv5's AutoAnchor: the best possible recall of Ultralytics' anchors, and anchors computed for boxes they
/// cannot reach.
@Suite struct AutoAnchorTests {
    /// Boxes of w x h pixels at img_size (640), each a square image.
    static func boxes(_ sizes: [(Double, Double)]) -> [(width: Double, height: Double, imageWidth: Double, imageHeight: Double)] {
        sizes.map { ($0.0 / 640, $0.1 / 640, 640, 640) }
    }

    @Test func defaultAnchorsReachOrdinaryBoxes() {
        var rng = SplitMix64(seed: 1)
        let sizes: [(Double, Double)] = (0..<200).map { (i: Int) -> (Double, Double) in
            let w: Double = 20 + Double(i % 17) * 15, h: Double = 25 + Double(i % 11) * 20
            return (w, h)
        }
        let check = AutoAnchor(boxes: Self.boxes(sizes), imageSize: 640, using: &rng)
        let fit = check.fit(AutoAnchor.defaultAnchors)
        #expect(fit.bestPossibleRecall == 1, "\(fit)")
        #expect(fit.anchorsAboveThreshold > 2)
    }

    @Test func ratioCountsTheWorseSide() {
        // 40x10 against a 10x10 anchor: width 4x too wide -> 0.25; the threshold 4.0 reaches no further.
        #expect(abs(AutoAnchor.ratio((40, 10), (10, 10)) - 0.25) < 1e-12)
        let check = AutoAnchor(sizes: [(41, 10)])
        #expect(check.fit([(10, 10)]).bestPossibleRecall == 0)
        #expect(AutoAnchor(sizes: [(39, 10)]).fit([(10, 10)]).bestPossibleRecall == 1)
    }

    @Test func computedAnchorsReachWhatTheDefaultsMiss() {
        // Long thin boxes (lines, text rows): 300-600 px wide, 6-10 px high. Ultralytics' anchors are at most
        // ~3:1 and reach none of them.
        var rng = SplitMix64(seed: 7)
        let sizes: [(Double, Double)] = (0..<300).map { (i: Int) -> (Double, Double) in
            let w: Double = 300 + Double(i % 31) * 10, h: Double = 6 + Double(i % 5)
            return (w, h)
        }
        let check = AutoAnchor(boxes: Self.boxes(sizes), imageSize: 640, using: &rng)
        let before = check.fit(AutoAnchor.defaultAnchors)
        #expect(before.bestPossibleRecall < 0.98, "\(before)")
        let anchors = check.compute(using: &rng)
        #expect(anchors.count == 9)
        #expect(zip(anchors, anchors.dropFirst()).allSatisfy { $0.0 * $0.1 <= $1.0 * $1.1 }, "sorted by area: \(anchors)")
        let after = check.fit(anchors)
        #expect(after.bestPossibleRecall >= 0.98, "\(after) with \(anchors)")

        // The same seed gives the same anchors.
        var again = SplitMix64(seed: 7)
        let repeated = AutoAnchor(boxes: Self.boxes(sizes), imageSize: 640, using: &again)
        let anchorsAgain = repeated.compute(using: &again)
        let widths = anchors.map { $0.0 }, heights = anchors.map { $0.1 }
        #expect(widths == anchorsAgain.map { $0.0 } && heights == anchorsAgain.map { $0.1 })
    }

    @Test func tooFewBoxesComputeNothing() {
        var rng = SplitMix64(seed: 2)
        #expect(AutoAnchor(sizes: [(10, 200), (12, 220)]).compute(using: &rng).isEmpty)
    }
}
