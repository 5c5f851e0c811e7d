/// A job's best primary metric, as `finish` records it: `accuracy` 0.93.
public struct BestMetric: Sendable, Hashable, Codable {
    public var name: String
    public var value: Double

    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}
