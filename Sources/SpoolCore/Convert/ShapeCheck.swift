/// The checks every converter applies to a box or polygon in pixels before normalising it: zero or
/// negative area and shapes entirely outside the image are dropped, shapes partly outside are clipped.
enum ShapeCheck {
    enum BoxOutcome: Equatable {
        /// Normalised; `clipped` when a corner was moved onto the image's border.
        case box(NormalizedBox, clipped: Bool)
        /// The corners are not top-left then bottom-right (width or height <= 0).
        case zeroArea(width: Double, height: Double)
        /// No part of the box is on the image.
        case outside
    }

    enum PolygonOutcome: Equatable {
        /// Normalised `[x1, y1, x2, y2, ...]`; `clipped` when a point was moved onto the border.
        case part([Double], clipped: Bool)
        /// Fewer than 3 points, or an odd count of numbers.
        case malformed(count: Int)
        /// The points enclose nothing (all on a line).
        case zeroArea
        /// Clipped to the image, the points enclose nothing.
        case outside
    }

    /// Checks the box from (x0, y0) to (x1, y1), in pixels, on an image of `width` x `height`.
    static func box(x0: Double, y0: Double, x1: Double, y1: Double, width: Double, height: Double) -> BoxOutcome {
        guard x1 > x0, y1 > y0 else { return .zeroArea(width: x1 - x0, height: y1 - y0) }
        let cx0 = min(max(x0, 0), width), cx1 = min(max(x1, 0), width)
        let cy0 = min(max(y0, 0), height), cy1 = min(max(y1, 0), height)
        guard cx1 > cx0, cy1 > cy0 else { return .outside }
        let box = NormalizedBox(
            topX: CoordinateRounding.fraction(cx0, of: width), topY: CoordinateRounding.fraction(cy0, of: height),
            bottomX: CoordinateRounding.fraction(cx1, of: width), bottomY: CoordinateRounding.fraction(cy1, of: height))
        return .box(box, clipped: (cx0, cy0, cx1, cy1) != (x0, y0, x1, y1))
    }

    /// Checks one polygon part `[x1, y1, x2, y2, ...]`, in pixels, on an image of `width` x `height`.
    static func polygonPart(_ points: [Double], width: Double, height: Double) -> PolygonOutcome {
        guard points.count >= 6, points.count % 2 == 0 else { return .malformed(count: points.count) }
        guard area(points) > 0 else { return .zeroArea }
        var clipped = false
        let inside = points.enumerated().map { index, value in
            let limit = index % 2 == 0 ? width : height
            let kept = min(max(value, 0), limit)
            if kept != value { clipped = true }
            return kept
        }
        guard area(inside) > 0 else { return .outside }
        let normalised = inside.enumerated().map { index, value in
            CoordinateRounding.fraction(value, of: index % 2 == 0 ? width : height)
        }
        return .part(normalised, clipped: clipped)
    }

    /// The area enclosed by `[x1, y1, x2, y2, ...]` (shoelace formula), in the points' units squared.
    static func area(_ points: [Double]) -> Double {
        let count = points.count / 2
        guard count >= 3 else { return 0 }
        var twice = 0.0
        for index in 0..<count {
            let next = (index + 1) % count
            twice += points[2 * index] * points[2 * next + 1] - points[2 * next] * points[2 * index + 1]
        }
        return abs(twice) / 2
    }

    /// `640x480`, without a fraction for whole pixels.
    static func size(_ width: Double, _ height: Double) -> String {
        "\(pixels(width))x\(pixels(height))"
    }

    /// A pixel value as people write it: `12`, `12.5`.
    static func pixels(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
