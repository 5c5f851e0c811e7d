import Foundation

/// Holds out a share of the training records for validation when a job has no validation JSONL
/// (`split_ratio`, default 0.2), reproducibly: the same seed gives the same split.
public struct DatasetSplit: Sendable, Hashable {
    /// Indices into the records, ascending.
    public var trainIndices: [Int]
    /// Indices into the records, ascending; never empty.
    public var validationIndices: [Int]

    public enum SplitError: Error, Sendable, Hashable, CustomStringConvertible {
        /// Fewer than two records cannot give both sides one.
        case tooFewRecords(Int)

        public var description: String {
            switch self {
            case let .tooFewRecords(count):
                "cannot hold out validation data from \(count) record(s): at least 2 are needed"
            }
        }
    }

    /// How many of `total` records go to validation: `ceil(ratio * total)`, at least 1 and at most
    /// `total - 1`.
    public static func validationCount(total: Int, ratio: Double) -> Int {
        let wanted = Int((ratio * Double(total) - 1e-9).rounded(.up))
        return min(max(1, wanted), total - 1)
    }

    /// Splits `records` with a `SplitMix64` seeded by `seed`.
    public static func split(records: [DatasetRecord], ratio: Double, seed: UInt64) throws(SplitError) -> DatasetSplit {
        var generator = SplitMix64(seed: seed)
        return try split(records: records, ratio: ratio, using: &generator)
    }

    /// Splits `records`: multiclass records are stratified (each class keeps about `ratio` of its
    /// records in validation and, when it has two or more, at least one in training); multilabel
    /// records are split at random.
    public static func split(
        records: [DatasetRecord], ratio: Double, using generator: inout some RandomNumberGenerator
    ) throws(SplitError) -> DatasetSplit {
        var groups: [String: [Int]] = [:]
        for (index, record) in records.enumerated() {
            guard case let .single(name) = record.label else {
                return try random(count: records.count, ratio: ratio, using: &generator)
            }
            groups[name, default: []].append(index)
        }
        return try stratified(groups: groups.keys.sorted().map { groups[$0]! }, total: records.count, ratio: ratio, using: &generator)
    }

    /// Splits `count` items at random.
    public static func random(
        count: Int, ratio: Double, using generator: inout some RandomNumberGenerator
    ) throws(SplitError) -> DatasetSplit {
        try stratified(groups: [Array(0..<count)], total: count, ratio: ratio, using: &generator)
    }

    private static func stratified(
        groups: [[Int]], total: Int, ratio: Double, using generator: inout some RandomNumberGenerator
    ) throws(SplitError) -> DatasetSplit {
        precondition(ratio > 0 && ratio < 1, "split_ratio must be in (0, 1)")
        guard total >= 2 else { throw .tooFewRecords(total) }
        let validationTotal = validationCount(total: total, ratio: ratio)
        let quotas = groups.map { Double(validationTotal) * Double($0.count) / Double(total) }
        // Keep one record of every class of two or more in training, unless nothing else fits.
        var caps = groups.map { $0.count >= 2 ? $0.count - 1 : 0 }
        var taken = zip(quotas, caps).map { min(Int($0.rounded(.down)), $1) }
        var missing = validationTotal - taken.reduce(0, +)
        for relaxed in [false, true] where missing > 0 {
            if relaxed { caps = groups.map(\.count) }
            // Largest remainders first; ties go to larger classes, then to the earlier class.
            let order = groups.indices.sorted { a, b in
                let ra = quotas[a] - Double(taken[a]), rb = quotas[b] - Double(taken[b])
                if ra != rb { return ra > rb }
                if groups[a].count != groups[b].count { return groups[a].count > groups[b].count }
                return a < b
            }
            while missing > 0 {
                var progressed = false
                for g in order where missing > 0 && taken[g] < caps[g] {
                    taken[g] += 1
                    missing -= 1
                    progressed = true
                }
                if !progressed { break }
            }
        }
        var train: [Int] = [], validation: [Int] = []
        for (group, count) in zip(groups, taken) {
            var shuffled = group
            generator.stableShuffle(&shuffled)
            validation += shuffled.prefix(count)
            train += shuffled.dropFirst(count)
        }
        return DatasetSplit(trainIndices: train.sorted(), validationIndices: validation.sorted())
    }
}
