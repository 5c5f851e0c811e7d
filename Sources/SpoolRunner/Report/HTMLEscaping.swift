import Foundation

/// Escaping for `report.html`: every string that a person or a bundle supplied (the job's name, reasons,
/// class names, hyperparameter names and values) passes through here before it is written into text or into
/// a quoted attribute, so a class named `<b>&"` shows as itself and cannot open a tag or end an attribute.
enum HTMLEscaping {
    /// `&`, `<`, `>`, `"` and `'` as entities; other control characters than tab and newline are dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
