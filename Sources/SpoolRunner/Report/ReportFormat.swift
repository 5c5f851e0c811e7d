import Foundation

/// How `report.html` writes numbers: metrics with 4 decimals, counts as integers, a dash for what is absent.
enum ReportFormat {
    /// The dash shown for a value that is absent or not finite.
    static let missing = "—"

    /// `0.2500`; the dash for nil, NaN or an infinity.
    static func fixed(_ value: Double?, decimals: Int = 4) -> String {
        guard let value, value.isFinite else { return missing }
        return String(format: "%.\(decimals)f", value)
    }

    /// A value as a person reads it in a table or on an axis: integers whole, others shortest (`0.05`, `1e-05`).
    static func plain(_ value: Double) -> String {
        guard value.isFinite else { return missing }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A tick label for a linear axis whose ticks are `step` apart: as many decimals as the step needs.
    static func tick(_ value: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : min(10, Int((-log10(step)).rounded(.up)))
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// A tick label for a power of ten: `0.0001`, `1`, `10000`, else `1e-5`.
    static func power(_ exponent: Int) -> String {
        if exponent >= 0, exponent <= 4 { return String(Int(pow(10, Double(exponent)))) }
        if exponent < 0, exponent >= -4 { return String(format: "%.\(-exponent)f", pow(10, Double(exponent))) }
        return "1e\(exponent)"
    }

    /// `42s`, `3m 05s`, `2h 07m`.
    static func duration(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(seconds.rounded()))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm %02ds", s / 60, s % 60) }
        return String(format: "%dh %02dm", s / 3600, (s % 3600) / 60)
    }
}
