/// One object of a detection or segmentation image: its class, the crowd flag and its shape. The one
/// annotation type of training, evaluation and the converters.
public struct ImageObject: Sendable, Hashable, Codable {
    /// A box (object detection) or polygon parts (instance segmentation), normalised to [0, 1].
    public enum Shape: Sendable, Hashable, Codable {
        case box(NormalizedBox)
        /// One list per part, each `[x1, y1, x2, y2, ...]`; several parts make one instance.
        case polygon([[Double]])
    }

    public var label: String
    /// Azure's `isCrowd`: metrics ignore crowd objects. Pascal VOC's `difficult` is not a crowd.
    public var isCrowd: Bool
    public var shape: Shape

    public init(label: String, isCrowd: Bool = false, shape: Shape) {
        self.label = label
        self.isCrowd = isCrowd
        self.shape = shape
    }

    /// The object's box: given, or the bounds of its polygon parts.
    public var box: NormalizedBox {
        switch shape {
        case let .box(box): return box
        case let .polygon(parts):
            let xs = parts.flatMap { part in stride(from: 0, to: part.count, by: 2).map { part[$0] } }
            let ys = parts.flatMap { part in stride(from: 1, to: part.count, by: 2).map { part[$0] } }
            return NormalizedBox(topX: xs.min() ?? 0, topY: ys.min() ?? 0, bottomX: xs.max() ?? 0, bottomY: ys.max() ?? 0)
        }
    }

    /// The polygon parts, or none for a box.
    public var polygons: [[Double]] {
        if case let .polygon(parts) = shape { return parts }
        return []
    }
}
