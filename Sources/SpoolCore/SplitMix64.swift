/// A small seeded generator (Steele, Lea and Flood's SplitMix64): the same seed gives the same
/// sequence on every platform and Swift version, which `SystemRandomNumberGenerator` cannot.
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RandomNumberGenerator {
    /// A uniform integer in `0..<bound` by rejection sampling. Written out, unlike `Int.random(in:)`,
    /// so that seeded results cannot change with the standard library's implementation.
    mutating func uniform(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        let limit = UInt64.max - UInt64.max % range
        while true {
            let value = next()
            if value < limit { return Int(value % range) }
        }
    }

    /// Fisher-Yates, with `uniform(below:)` for the same stability.
    mutating func stableShuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, uniform(below: i + 1))
        }
    }
}
