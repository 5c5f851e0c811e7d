import Foundation

/// One hyperparameter's search distribution (spec section 6), with HyperDrive's semantics.
///
/// The log distributions follow Azure (and hyperopt): `loguniform(a, b)` is `exp(uniform(a, b))`, so its
/// bounds are natural logarithms: `loguniform(-9.21, -4.61)` gives values in [0.0001, 0.01]. The quantized
/// forms round to a multiple of `q`: `quniform(a, b, q)` is `round(uniform(a, b) / q) * q`.
public enum Distribution: Sendable, Hashable {
    /// One of `values`, equally likely.
    case choice([SettingValue])
    /// An integer in `0..<upper`.
    case randint(upper: Int)
    case uniform(min: Double, max: Double)
    case quniform(min: Double, max: Double, q: Double)
    case loguniform(min: Double, max: Double)
    case qloguniform(min: Double, max: Double, q: Double)
    case normal(mu: Double, sigma: Double)
    case qnormal(mu: Double, sigma: Double, q: Double)
    case lognormal(mu: Double, sigma: Double)
    case qlognormal(mu: Double, sigma: Double, q: Double)

    /// Every distribution's name, as written in settings.
    public static let names = [
        "choice", "randint", "uniform", "quniform", "loguniform", "qloguniform",
        "normal", "qnormal", "lognormal", "qlognormal",
    ]

    public var name: String {
        switch self {
        case .choice: "choice"
        case .randint: "randint"
        case .uniform: "uniform"
        case .quniform: "quniform"
        case .loguniform: "loguniform"
        case .qloguniform: "qloguniform"
        case .normal: "normal"
        case .qnormal: "qnormal"
        case .lognormal: "lognormal"
        case .qlognormal: "qlognormal"
        }
    }

    /// The choice's values, else nil.
    public var choices: [SettingValue]? {
        if case let .choice(values) = self { return values }
        return nil
    }

    /// The quantum of a quantized distribution (`randint` counts as quantized by 1), else nil.
    public var quantum: Double? {
        switch self {
        case .randint: 1
        case let .quniform(_, _, q), let .qloguniform(_, _, q), let .qnormal(_, _, q), let .qlognormal(_, _, q): q
        default: nil
        }
    }

    /// Whether the distribution's internal variable is the logarithm of the value.
    public var isLogarithmic: Bool {
        switch self {
        case .loguniform, .qloguniform, .lognormal, .qlognormal: true
        default: false
        }
    }

    /// Draws one value.
    public func sample<G: RandomNumberGenerator>(using generator: inout G) -> SettingValue {
        switch self {
        case let .choice(values):
            return values[generator.uniform(below: values.count)]
        case let .randint(upper):
            return .int(generator.uniform(below: upper))
        case let .uniform(low, high):
            return .double(low + (high - low) * generator.unitInterval())
        case let .quniform(low, high, q):
            return Self.quantize(low + (high - low) * generator.unitInterval(), q)
        case let .loguniform(low, high):
            return .double(Foundation.exp(low + (high - low) * generator.unitInterval()))
        case let .qloguniform(low, high, q):
            return Self.quantize(Foundation.exp(low + (high - low) * generator.unitInterval()), q)
        case let .normal(mu, sigma):
            return .double(mu + sigma * generator.standardNormal())
        case let .qnormal(mu, sigma, q):
            return Self.quantize(mu + sigma * generator.standardNormal(), q)
        case let .lognormal(mu, sigma):
            return .double(Foundation.exp(mu + sigma * generator.standardNormal()))
        case let .qlognormal(mu, sigma, q):
            return Self.quantize(Foundation.exp(mu + sigma * generator.standardNormal()), q)
        }
    }

    /// The value of a numeric distribution for an internal variable `x` (the logarithm for log
    /// distributions), quantized where the distribution is; samplers that model `x` (Bayesian) use it.
    public func value(forInternal x: Double) -> SettingValue {
        let raw = isLogarithmic ? Foundation.exp(x) : x
        if case .randint = self { return .int(Int(raw.rounded(.down))) }
        if let q = quantum { return Self.quantize(raw, q) }
        return .double(raw)
    }

    /// The internal variable of a value (its logarithm for log distributions); nil for choices and for
    /// values that are not numbers.
    public func internalValue(of value: SettingValue) -> Double? {
        guard choices == nil, let number = value.coercedDouble else { return nil }
        if isLogarithmic { return number > 0 ? Foundation.log(number) : nil }
        return number
    }

    /// The range of the internal variable: exact for bounded distributions, mu ± 3 sigma for normal ones.
    public var internalRange: ClosedRange<Double>? {
        switch self {
        case .choice: nil
        case let .randint(upper): 0...Double(upper) - 1e-9
        case let .uniform(low, high), let .quniform(low, high, _), let .loguniform(low, high), let .qloguniform(low, high, _):
            low...high
        case let .normal(mu, sigma), let .qnormal(mu, sigma, _), let .lognormal(mu, sigma), let .qlognormal(mu, sigma, _):
            (mu - 3 * sigma)...(mu + 3 * sigma)
        }
    }

    /// Values that show whether the distribution fits a hyperparameter: every choice; the extreme values
    /// of a bounded distribution; the centre of a normal one (which has no bounds to check).
    public var probeValues: [SettingValue] {
        switch self {
        case let .choice(values): return values
        case let .randint(upper): return [.int(0), .int(upper - 1)]
        case .uniform, .quniform, .loguniform, .qloguniform:
            let range = internalRange!
            return [value(forInternal: range.lowerBound), value(forInternal: range.upperBound)]
        case let .normal(mu, _), let .qnormal(mu, _, _), let .lognormal(mu, _), let .qlognormal(mu, _, _):
            return [value(forInternal: mu)]
        }
    }

    /// A multiple of `q` nearest `x`: an integer when `q` and the result are whole.
    static func quantize(_ x: Double, _ q: Double) -> SettingValue {
        let value = (x / q).rounded() * q
        if q == q.rounded(), value == value.rounded(), abs(value) < 1e15 { return .int(Int(value)) }
        return .double(value)
    }
}

extension Distribution: CustomStringConvertible {
    /// The string form: `uniform(0.0001, 0.01)`, `choice('sgd', 'adam')`.
    public var description: String {
        func n(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
        switch self {
        case let .choice(values):
            return "choice(" + values.map { value in
                if case let .string(text) = value { return "'\(text)'" }
                return value.description
            }.joined(separator: ", ") + ")"
        case let .randint(upper): return "randint(\(upper))"
        case let .uniform(a, b), let .loguniform(a, b): return "\(name)(\(n(a)), \(n(b)))"
        case let .quniform(a, b, q), let .qloguniform(a, b, q): return "\(name)(\(n(a)), \(n(b)), \(n(q)))"
        case let .normal(mu, sigma), let .lognormal(mu, sigma): return "\(name)(\(n(mu)), \(n(sigma)))"
        case let .qnormal(mu, sigma, q), let .qlognormal(mu, sigma, q): return "\(name)(\(n(mu)), \(n(sigma)), \(n(q)))"
        }
    }
}

extension RandomNumberGenerator {
    /// A uniform double in [0, 1) from the top 53 bits, the same on every platform.
    public mutating func unitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal deviate (Box-Muller), written out for stable seeded results.
    public mutating func standardNormal() -> Double {
        let u1 = 1 - unitInterval()  // (0, 1]
        let u2 = unitInterval()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}
