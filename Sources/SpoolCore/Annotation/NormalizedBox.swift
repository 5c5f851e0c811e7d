/// A box in Azure's JSONL coordinates: fractions of the image's width (x) and height (y), in [0, 1].
public struct NormalizedBox: Sendable, Hashable, Codable {
    public var topX: Double
    public var topY: Double
    public var bottomX: Double
    public var bottomY: Double

    public init(topX: Double, topY: Double, bottomX: Double, bottomY: Double) {
        self.topX = topX
        self.topY = topY
        self.bottomX = bottomX
        self.bottomY = bottomY
    }
}
