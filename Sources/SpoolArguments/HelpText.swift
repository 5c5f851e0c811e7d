import ArgumentParser
import Foundation

/// Help as the commands print it: ArgumentParser's, with the usage line wrapped too.
///
/// ArgumentParser wraps the overview, discussion and option help to the terminal, but prints the usage line
/// (`USAGE: spoolctl status [<job>] [--spool <spool>] ...`) whole, often 150 columns or more. Here it is wrapped
/// between arguments (never inside `[--set <key=value> ...]`), continuation lines indented by 7 as
/// ArgumentParser indents a multi-line usage.
public enum HelpText {
    /// What the help is wrapped to: $COLUMNS, else the terminal's width, else 80 (as ArgumentParser decides).
    public static var terminalWidth: Int {
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let columns = Int(text), columns > 0 {
            return columns
        }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// `root COMMAND --help` at `columns`.
    public static func help(for command: ParsableCommand.Type, root: ParsableCommand.Type, columns: Int) -> String {
        wrappingUsage(root.helpMessage(for: command, columns: columns), columns: columns)
    }

    /// `text` with each `USAGE: ` (help) or `Usage: ` (usage error) line longer than `columns` wrapped.
    public static func wrappingUsage(_ text: String, columns: Int) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines.flatMap { line -> [String] in
            guard line.count > columns, line.hasPrefix("USAGE: ") || line.hasPrefix("Usage: ") else { return [line] }
            let words = synopsisWords(String(line.dropFirst(7)))
            guard let first = words.first else { return [line] }
            var wrapped: [String] = []
            var current = String(line.prefix(7)) + first
            for word in words.dropFirst() {
                if current.count + 1 + word.count <= columns {
                    current += " " + word
                } else {
                    wrapped.append(current)
                    current = String(repeating: " ", count: 7) + word
                }
            }
            return wrapped + [current]
        }.joined(separator: "\n")
    }

    /// The usage's words: split at spaces outside brackets, so `[--weights-dir <weights-dir> ...]` stays whole.
    static func synopsisWords(_ usage: String) -> [String] {
        var words: [String] = []
        var current = ""
        var depth = 0
        for character in usage {
            switch character {
            case "[", "<": depth += 1
            case "]", ">": depth = max(0, depth - 1)
            default: break
            }
            if character == " ", depth == 0 {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
