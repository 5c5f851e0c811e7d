import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCommands
import SpoolTrainerCommands
import Testing

/// `--help` at 80 columns, compared whole as swift-argument-parser's own tests do, and the help-text rules for
/// every command: ArgumentParser wraps the paragraphs, every command has examples, each on one line.
///
/// After changing a command's help on purpose, rewrite the expected files and review their diff:
///   SPOOL_UPDATE_HELP=1 swift test --skip-build --filter HelpTextTests
@Suite struct HelpTextTests {
    typealias Support = CommandTestSupport

    /// The expected files, Tests/SpoolCommandTests/ExpectedHelp/NAME.txt (NAME: the command's words, joined by -).
    static let expected: [String] = ["spoolctl", "spoolctl submit", "spoolctl status", "spoolctl convert folders",
                                     "spool-trainer train"]

    @Test(arguments: expected)
    func helpIsAsExpected(_ name: String) throws {
        let command = try #require(Support.command(name), "no command \(name)")
        let help = Support.help(command)
        let file = name.replacingOccurrences(of: " ", with: "-") + ".txt"
        if ProcessInfo.processInfo.environment["SPOOL_UPDATE_HELP"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("ExpectedHelp").appendingPathComponent(file)
            try Data(help.utf8).write(to: source)
            return
        }
        let url = try #require(Bundle.module.url(forResource: file, withExtension: nil, subdirectory: "ExpectedHelp"))
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(help == expected, "\(name) --help differs from ExpectedHelp/\(file); if on purpose, SPOOL_UPDATE_HELP=1")
    }

    @Test func theCommandsPrintThisHelp() throws {
        for name in ["spoolctl status", "spoolctl convert folders", "spool-trainer train"] {
            let command = try #require(Support.command(name))
            let executable = Support.bin.appendingPathComponent(command.path[0])
            let run = try Support.run(executable, Array(command.path.dropFirst()) + ["--help"], environment: ["COLUMNS": "80"])
            #expect(run.status == 0)
            #expect(run.stdout == Support.help(command) + "\n", "\(name)")
        }
        // The usage line is wrapped between arguments, as ArgumentParser indents a multi-line usage.
        let usage = HelpText.wrappingUsage("USAGE: tool run <a> [--set <key=value> ...] [--quiet]", columns: 32)
        #expect(usage == "USAGE: tool run <a>\n       [--set <key=value> ...]\n       [--quiet]")
    }

    @Test func spoolctlHelpGroupsTheCommandsByWorkflow() throws {
        let help = Support.help(try #require(Support.command("spoolctl")))
        let groups = ["RUN A SPOOL", "PREPARE DATA", "TRAIN AND SCORE DIRECTLY", "MODELS AND SCHEDULES", "SET-UP"]
        let positions = groups.map { help.range(of: "\n\($0) SUBCOMMANDS:\n")?.lowerBound }
        #expect(!positions.contains(nil), "\(help)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        // Every command is in a group: no "SUBCOMMANDS:" list of ungrouped ones.
        #expect(!help.contains("\nSUBCOMMANDS:"))
        #expect(Spoolctl.configuration.ungroupedSubcommands.isEmpty)
    }

    @Test func everyCommandHasExamplesOnOneLineAndFitsEightyColumns() throws {
        #expect(Support.commands.count > 40)
        for command in Support.commands {
            let help = Support.help(command)
            let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for line in lines where line.count > Support.columns {
                Issue.record("\(command.name) --help: a line of \(line.count) columns: \(line)")
            }
            let discussion = command.type.configuration.discussion
            guard let examples = Support.examples(discussion), !examples.isEmpty else {
                Issue.record("\(command.name): no \"Examples:\" block with indented examples")
                continue
            }
            #expect(lines.contains { $0 == "Example:" || $0 == "Examples:" }, "\(command.name)")
            for example in examples {
                #expect(example.count <= 78, "\(command.name): example of \(example.count) columns: \(example)")
                #expect(lines.contains(example), "\(command.name): the example is not one whole line: \(example)")
            }
            // The examples show the command itself (spoolctl's engine commands are spool-trainer's too).
            let words = command.path.dropFirst().joined(separator: " ")
            #expect(words.isEmpty || examples.contains { " \($0) ".contains(" \(words) ") },
                    "\(command.name): no example runs \(words)")
        }
    }

    /// Paragraphs are one line each in the source (ArgumentParser wraps them): two prose lines in a row mean a
    /// paragraph wrapped by hand. Indented lines (examples, lists) and a line ending in ":" are not prose.
    @Test func discussionParagraphsAreNotWrappedByHand() {
        for command in Support.commands {
            let lines = command.type.configuration.discussion.split(separator: "\n", omittingEmptySubsequences: false)
            for (line, next) in zip(lines, lines.dropFirst()) {
                let prose = { (s: Substring) in !s.isEmpty && !s.hasPrefix(" ") }
                if prose(line), prose(next), !line.hasSuffix(":") {
                    Issue.record("\(command.name): a paragraph wrapped by hand after \"\(line.suffix(40))\"")
                }
            }
        }
    }
}

/// "Did you mean": a misspelt subcommand gets the nearest one, at the top and below, exit 64 as a usage error.
@Suite struct UnknownCommandTests {
    typealias Support = CommandTestSupport

    @Test func topLevelTypo() {
        #expect(UnknownCommand.find(in: ["stauts"], root: Spoolctl.self)
            == UnknownCommand(word: "stauts", parent: ["spoolctl"], suggestion: "status"))
        #expect(UnknownCommand.find(in: ["sbumit", "bundle", "--wait"], root: Spoolctl.self)?.suggestion == "submit")
        #expect(UnknownCommand.find(in: ["trian"], root: SpoolTrainer.self)?.suggestion == "train")
        // Nothing close: still an unknown command, with no guess.
        #expect(UnknownCommand.find(in: ["frobnicate"], root: Spoolctl.self)
            == UnknownCommand(word: "frobnicate", parent: ["spoolctl"], suggestion: nil))
    }

    @Test func nestedTypo() {
        #expect(UnknownCommand.find(in: ["convert", "fodlers", "images"], root: Spoolctl.self)
            == UnknownCommand(word: "fodlers", parent: ["spoolctl", "convert"], suggestion: "folders"))
        #expect(UnknownCommand.find(in: ["schedule", "run-nwo", "fridge"], root: Spoolctl.self)?.suggestion == "run-now")
        #expect(UnknownCommand.find(in: ["weights", "pul", "resnet18"], root: Spoolctl.self)?.suggestion == "pull")
    }

    @Test func notATypo() {
        // Arguments of a command, options, and ArgumentParser's own `help COMMAND` are not commands.
        #expect(UnknownCommand.find(in: ["status", "stauts"], root: Spoolctl.self) == nil)
        #expect(UnknownCommand.find(in: ["convert", "folders", "fodlers"], root: Spoolctl.self) == nil)
        #expect(UnknownCommand.find(in: ["--spool", "x", "status"], root: Spoolctl.self) == nil)
        #expect(UnknownCommand.find(in: ["help", "status"], root: Spoolctl.self) == nil)
        #expect(UnknownCommand.find(in: [], root: Spoolctl.self) == nil)
    }

    @Test func theMessageSaysWhatToRun() {
        let nested = UnknownCommand(word: "fodlers", parent: ["spoolctl", "convert"], suggestion: "folders")
        #expect(nested.message == """
            error: unknown command 'fodlers' for 'spoolctl convert'; did you mean 'folders'?
            Run 'spoolctl convert --help' to see the commands.
            """)
    }

    @Test func theBuiltCommandsSuggestAndExitWithAUsageError() throws {
        let spoolctl = Support.bin.appendingPathComponent("spoolctl")
        let top = try Support.run(spoolctl, ["stauts"])
        #expect(top.status == 64)
        #expect(top.stderr == "error: unknown command 'stauts'; did you mean 'status'?\n"
            + "Run 'spoolctl --help' to see the commands.\n")
        #expect(top.stdout.isEmpty)

        let nested = try Support.run(spoolctl, ["convert", "fodlers", "images", "--out", "x.jsonl"])
        #expect(nested.status == 64)
        #expect(nested.stderr.hasPrefix("error: unknown command 'fodlers' for 'spoolctl convert'; did you mean 'folders'?"))

        let trainer = try Support.run(Support.bin.appendingPathComponent("spool-trainer"), ["dcotor"])
        #expect(trainer.status == 64)
        #expect(trainer.stderr.contains("did you mean 'doctor'?"))

        // Other usage errors keep ArgumentParser's own message and status.
        let missing = try Support.run(spoolctl, ["status", "--interval"])
        #expect(missing.status == 64)
        #expect(!missing.stderr.contains("unknown command"))
    }
}

/// Shell completion comes from the same command tree as the help.
@Suite struct CompletionTests {
    @Test func bashCompletionNamesEveryCommand() {
        let script = Spoolctl.completionScript(for: .bash)
        let names = Spoolctl.configuration.subcommands.map { $0._commandName }
        #expect(names.count >= 20)
        for name in names {
            #expect(script.contains(name), "bash completion lacks \(name)")
        }
        for shell in [CompletionShell.zsh, .fish] {
            let other = Spoolctl.completionScript(for: shell)
            #expect(names.allSatisfy { other.contains($0) }, "\(shell)")
        }
        // Below the top: convert's subcommands.
        #expect(["coco", "voc", "folders", "jsonl"].allSatisfy { script.contains($0) })
    }
}
