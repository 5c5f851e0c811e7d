/// One object of a detection or segmentation JSONL line: its class, the crowd flag and its shape.
public struct ConvertedObject: Sendable, Hashable {
    /// A box (object detection) or polygon parts (instance segmentation), normalised to [0, 1].
    public enum Shape: Sendable, Hashable {
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
}
