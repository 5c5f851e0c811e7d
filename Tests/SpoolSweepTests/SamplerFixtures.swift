import Foundation
import SpoolCore
@testable import SpoolSweep

/// Spaces, objectives and checks shared by the sampler scenarios.
enum SamplerFixtures {
    static func branch(_ index: Int, _ parameters: [String: Distribution]) -> SearchBranch {
        SearchBranch(index: index, parameters: parameters)
    }

    /// One branch holding every kind of distribution.
    static let everyDistribution = SearchSpace(branches: [branch(0, [
        "choice": .choice(["sgd", "adam", 3]),
        "randint": .randint(upper: 4),
        "uniform": .uniform(min: 0.2, max: 0.7),
        "quniform": .quniform(min: 8, max: 64, q: 8),
        "loguniform": .loguniform(min: -9.21, max: -4.61),
        "qloguniform": .qloguniform(min: 1, max: 5, q: 2),
        "normal": .normal(mu: 10, sigma: 2),
        "qnormal": .qnormal(mu: 10, sigma: 2, q: 0.5),
        "lognormal": .lognormal(mu: 0, sigma: 0.5),
        "qlognormal": .qlognormal(mu: 2, sigma: 0.5, q: 1),
    ])])

    /// Why `value` cannot come from `distribution`, or nil when it can.
    static func problem(_ value: SettingValue?, _ distribution: Distribution) -> String? {
        guard let value else { return "missing" }
        if let choices = distribution.choices { return choices.contains(value) ? nil : "\(value) not a choice" }
        guard let x = value.coercedDouble, x.isFinite else { return "\(value) not a number" }
        func multiple(_ q: Double) -> Bool { abs((x / q).rounded() * q - x) < 1e-9 }
        let ok: Bool
        switch distribution {
        case let .randint(upper): ok = value == .int(Int(x)) && (0..<upper).contains(Int(x))
        case let .uniform(a, b): ok = x >= a && x <= b
        case let .quniform(a, b, q): ok = multiple(q) && x >= (a / q).rounded() * q && x <= (b / q).rounded() * q
        case let .loguniform(a, b): ok = x >= exp(a) * (1 - 1e-12) && x <= exp(b) * (1 + 1e-12)
        case let .qloguniform(a, b, q): ok = multiple(q) && x >= (exp(a) / q).rounded() * q && x <= (exp(b) / q).rounded() * q
        case .normal, .qnormal: ok = distribution.quantum.map(multiple) ?? true
        case .lognormal, .qlognormal: ok = x >= 0 && (distribution.quantum.map(multiple) ?? true)
        case .choice: ok = true
        }
        return ok ? nil : "\(value) outside \(distribution)"
    }

    /// f(x, y) = -(x - 0.3)^2 - (y - 0.7)^2, plus 0.1 for option "b": at best 0.1, at (0.3, 0.7, "b").
    static let objectiveSpace = SearchSpace(branches: [branch(0, [
        "x": .uniform(min: 0, max: 1),
        "y": .uniform(min: 0, max: 1),
        "option": .choice(["a", "b", "c"]),
    ])])

    static func objective(_ configuration: Configuration) -> Double {
        let x = configuration.values["x"]!.coercedDouble!, y = configuration.values["y"]!.coercedDouble!
        let bonus = configuration.values["option"] == "b" ? 0.1 : 0
        return -(x - 0.3) * (x - 0.3) - (y - 0.7) * (y - 0.7) + bonus
    }

    /// Runs `trials` trials one after another (each finished before the next is suggested); the best value.
    static func bestValue(_ sampler: some SweepSampler, trials: Int,
                          objective: (Configuration) -> Double = objective) -> Double {
        var history: [SweepObservation] = []
        for index in 0..<trials {
            let configuration = sampler.suggest(index: index, history: history)!
            history.append(SweepObservation(index: index, configuration: configuration, state: .completed,
                                            value: objective(configuration)))
        }
        return history.compactMap(\.value).max()!
    }
}
