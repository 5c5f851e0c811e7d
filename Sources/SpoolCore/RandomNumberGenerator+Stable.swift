extension RandomNumberGenerator {
    /// A uniform integer in `0..<bound` by rejection sampling. Written out, unlike `Int.random(in:)`,
    /// so that seeded results cannot change with the standard library's implementation.
    public mutating func uniform(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        let limit = UInt64.max - UInt64.max % range
        while true {
            let value = next()
            if value < limit { return Int(value % range) }
        }
    }

    /// Fisher-Yates, with `uniform(below:)` for the same stability.
    public mutating func stableShuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, uniform(below: i + 1))
        }
    }
}
