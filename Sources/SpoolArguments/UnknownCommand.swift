import ArgumentParser
import SpoolCore

/// A misspelt subcommand (`spoolctl stauts`, `spoolctl convert fodlers`), and the nearest real one.
///
/// Looked for only after ArgumentParser has refused the arguments: the words before the first option are
/// followed down the command tree; the first word that names no subcommand of a command that takes one (and
/// has no default subcommand) is the unknown command.
public struct UnknownCommand: Equatable, Sendable {
    /// The word given.
    public var word: String
    /// The command it was given to, e.g. ["spoolctl", "convert"].
    public var parent: [String]
    /// The nearest subcommand name, when one is close enough.
    public var suggestion: String?

    public init(word: String, parent: [String], suggestion: String?) {
        self.word = word
        self.parent = parent
        self.suggestion = suggestion
    }

    /// The unknown command in `arguments` (the command line without the executable), if there is one.
    public static func find(in arguments: [String], root: ParsableCommand.Type) -> UnknownCommand? {
        var current = root
        var path = [root._commandName]
        for word in arguments {
            if word.hasPrefix("-") { return nil }
            let subcommands = current.configuration.subcommands
            if subcommands.isEmpty || current.configuration.defaultSubcommand != nil { return nil }
            if let next = subcommands.first(where: { $0._commandName == word || $0.configuration.aliases.contains(word) }) {
                current = next
                path.append(next._commandName)
                continue
            }
            if path.count == 1, word == "help" { return nil }  // ArgumentParser's own `help COMMAND`
            let names = subcommands.filter { $0.configuration.shouldDisplay }.map { $0._commandName }
            return UnknownCommand(word: word, parent: path, suggestion: Suggestion.closest(to: word, among: names))
        }
        return nil
    }

    /// `error: unknown command 'stauts'; did you mean 'status'?` and where to see the commands.
    public var message: String {
        let command = parent.joined(separator: " ")
        let under = parent.count > 1 ? " for '\(command)'" : ""
        let hint = suggestion.map { "; did you mean '\($0)'?" } ?? ""
        return "error: unknown command '\(word)'\(under)\(hint)\nRun '\(command) --help' to see the commands."
    }
}
