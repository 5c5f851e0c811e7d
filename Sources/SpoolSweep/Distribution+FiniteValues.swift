import Foundation
import SpoolCore

extension Distribution {
    /// Every value a discrete distribution can give, when there are at most `limit`: a choice's values,
    /// randint's integers, the multiples of q a quantized uniform rounds to. Nil for a continuous or normal
    /// distribution (unbounded), or when there are more.
    func finiteValues(limit: Int) -> [SettingValue]? {
        switch self {
        case let .choice(values):
            return values.count <= limit ? values : nil
        case let .randint(upper):
            return upper <= limit ? (0..<upper).map { .int($0) } : nil
        case let .quniform(low, high, q):
            return Self.multiples(from: (low / q).rounded(), to: (high / q).rounded(), limit: limit) {
                value(forInternal: $0 * q)
            }
        case let .qloguniform(low, high, q):
            return Self.multiples(from: (Foundation.exp(low) / q).rounded(), to: (Foundation.exp(high) / q).rounded(),
                                  limit: limit) { value(forInternal: Foundation.log($0 * q)) }
        default:
            return nil
        }
    }

    private static func multiples(from first: Double, to last: Double, limit: Int,
                                  _ value: (Double) -> SettingValue) -> [SettingValue]? {
        guard first.isFinite, last.isFinite, last >= first, last - first < Double(limit) else { return nil }
        var values: [SettingValue] = []
        var seen = Set<SettingValue>()
        for k in 0...Int(last - first) {
            let next = value(first + Double(k))
            if seen.insert(next).inserted { values.append(next) }
        }
        return values
    }
}

extension SearchSpace {
    /// Every configuration of a space whose distributions are all discrete, in grid order, when there are
    /// at most `limit`; else nil.
    func finiteConfigurations(limit: Int) -> [Configuration]? {
        var branches: [SearchBranch] = []
        for branch in self.branches {
            var parameters: [String: Distribution] = [:]
            for (name, distribution) in branch.parameters {
                guard let values = distribution.finiteValues(limit: limit) else { return nil }
                parameters[name] = .choice(values)
            }
            branches.append(SearchBranch(index: branch.index, parameters: parameters, keyPath: branch.keyPath))
        }
        guard let grid = try? GridSampler(space: SearchSpace(branches: branches)),
              let count = grid.capacity, count <= limit
        else { return nil }
        return (0..<count).compactMap { grid.suggest(index: $0, history: []) }
    }
}
