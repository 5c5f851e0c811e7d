import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCommands
import SpoolCore
import SpoolTrainerCommands

/// The command trees of both executables, their help at 80 columns, and the built executables.
enum CommandTestSupport {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let bin = repository.appendingPathComponent(".build/debug")
    static let columns = 80

    struct Command {
        var root: ParsableCommand.Type
        var type: ParsableCommand.Type
        /// The words that run it: ["spoolctl", "convert", "folders"].
        var path: [String]
        var name: String { path.joined(separator: " ") }
    }

    /// Every command of spoolctl and spool-trainer, the roots included, depth first.
    static let commands: [Command] = [Spoolctl.self as ParsableCommand.Type, SpoolTrainer.self].flatMap { root in
        descendants(of: root, path: [root._commandName]).map { Command(root: root, type: $0.0, path: $0.1) }
    }

    static func descendants(of type: ParsableCommand.Type, path: [String]) -> [(ParsableCommand.Type, [String])] {
        [(type, path)] + type.configuration.subcommands.flatMap { descendants(of: $0, path: path + [$0._commandName]) }
    }

    static func command(_ name: String) -> Command? { commands.first { $0.name == name } }

    /// `--help` at 80 columns: ArgumentParser's `helpMessage(for:columns:)`, usage line wrapped (`HelpText`).
    static func help(_ command: Command) -> String {
        HelpText.help(for: command.type, root: command.root, columns: columns)
    }

    /// The example lines of a command's discussion: the indented lines after "Example:" or "Examples:", as the
    /// help prints them (two spaces, then the command line).
    static func examples(_ discussion: String) -> [String]? {
        let lines = discussion.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0 == "Example:" || $0 == "Examples:" }) else { return nil }
        return Array(lines[(start + 1)...].prefix { $0.hasPrefix("  ") })
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs an executable to its end through SpoolCore's `ChildProcess` (the one way the tests run a command).
    static func run(_ executable: URL, _ arguments: [String], environment extra: [String: String] = [:]) throws -> Output {
        let output = try ChildProcess.run(executable, arguments,
                                          environment: ProcessInfo.processInfo.environment.merging(extra) { $1 })
        return Output(status: output.status, stdout: output.stdoutText, stderr: output.stderrText)
    }
}
