import CSpoolEngine

/// Instance masks and polygons with the engine's routines (OpenCV's fillPoly and findContours): what
/// segmentation's metrics and outputs need outside a model.
public enum Masks {
    /// Polygons (parts of x, y, ... in pixels from the image's top-left edge) rasterised at height x width:
    /// 1 on the pixels a part covers (OpenCV fillPoly: each vertex rounded to a pixel centre, the outline included), row-major.
    public static func rasterize(_ parts: [[Float]], height: Int, width: Int) throws(EngineError) -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: height * width)
        let points = parts.flatMap { $0 }
        let lengths = parts.map { Int64($0.count) }
        let status = points.withUnsafeBufferPointer { p in
            lengths.withUnsafeBufferPointer { l in
                mask.withUnsafeMutableBufferPointer { m in
                    spool_rasterize_polygons(p.baseAddress, l.baseAddress, Int64(parts.count), Int32(clamping: height),
                                             Int32(clamping: width), m.baseAddress)
                }
            }
        }
        try check(status, "spool_rasterize_polygons")
        return mask
    }

    /// The outer boundaries of a binary mask's regions, each at most `maxPoints` points, in pixels.
    public static func polygons(_ mask: [UInt8], height: Int, width: Int, maxPoints: Int) throws(EngineError) -> [[Float]] {
        precondition(mask.count == height * width, "the mask is not height x width")
        return try mask.withUnsafeBufferPointer { m throws(EngineError) in
            try Polygons.read("spool_mask_polygons") { points, pointsCapacity, lengths, partsCapacity, numPoints, numParts in
                spool_mask_polygons(m.baseAddress, Int32(clamping: height), Int32(clamping: width), Int32(clamping: maxPoints),
                                    points, pointsCapacity, lengths, partsCapacity, numPoints, numParts)
            }
        }
    }
}

/// Reads a variable-size list of polygons through the ABI's two-call pattern (counts, then the numbers).
enum Polygons {
    static func read(
        _ operation: String,
        _ call: (UnsafeMutablePointer<Float>?, Int64, UnsafeMutablePointer<Int64>?, Int64, UnsafeMutablePointer<Int64>,
                 UnsafeMutablePointer<Int64>) -> spool_status
    ) throws(EngineError) -> [[Float]] {
        var numPoints: Int64 = 0, numParts: Int64 = 0
        try check(call(nil, 0, nil, 0, &numPoints, &numParts), operation)
        var points = [Float](repeating: 0, count: Int(numPoints))
        var lengths = [Int64](repeating: 0, count: Int(numParts))
        let status = points.withUnsafeMutableBufferPointer { p in
            lengths.withUnsafeMutableBufferPointer { l in
                call(p.baseAddress, numPoints, l.baseAddress, numParts, &numPoints, &numParts)
            }
        }
        try check(status, operation)
        var parts: [[Float]] = []
        var at = 0
        for length in lengths {
            parts.append(Array(points[at..<(at + Int(length))]))
            at += Int(length)
        }
        return parts
    }
}

/// Reads run lengths through the ABI's two-call pattern.
enum RunLengths {
    static func read(
        _ operation: String, _ call: (UnsafeMutablePointer<UInt32>?, Int64, UnsafeMutablePointer<Int64>) -> spool_status
    ) throws(EngineError) -> [UInt32] {
        var length: Int64 = 0
        try check(call(nil, 0, &length), operation)
        var counts = [UInt32](repeating: 0, count: Int(length))
        let status = counts.withUnsafeMutableBufferPointer { call($0.baseAddress, length, &length) }
        try check(status, operation)
        return counts
    }
}
