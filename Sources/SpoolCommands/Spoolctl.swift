import ArgumentParser
import Foundation
import SpoolArguments

/// `spoolctl`: the light command-line front of Spool. Engine commands run in spool-trainer.
public struct Spoolctl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "spoolctl",
        abstract: "Spool: self-hosted AutoML for images (Azure AutoML for computer vision, on your own machines).",
        discussion: """
        Drop job bundles (Azure's JSONL, images and a settings YAML) into spool/incoming/ (or `spoolctl \
        submit` them); `spoolctl serve` unpacks, validates, queues and trains them (a sweep of trials when the \
        settings have a search space), and writes the best model with its metrics, a scoring script and a \
        report to spool/outbox/. Score with `score` or `serve-model`; retrain on a cron schedule with \
        `schedule add`. Or train one bundle directly with `spoolctl train`.

        Examples:
          spoolctl example --out shapes
          spoolctl train shapes --out runs/shapes
          spoolctl submit shapes --wait
          spoolctl status
        """,
        version: SpoolVersion.current,
        // `spoolctl --help` lists the commands by workflow, in this order. A new command goes into the group of
        // the workflow it serves (append it at the end of that group's list): spool operations under "Run a
        // spool", dataset tools under "Prepare data", engine commands (run in spool-trainer) under "Train and
        // score directly". Every command needs an "Examples:" block (docs/cli.md; Tests/SpoolCommandTests).
        groupedSubcommands: [
            CommandGroup(name: "Run a spool", subcommands: [
                Serve.self, Submit.self, Status.self, Logs.self, Cancel.self, Requeue.self, Prune.self,
            ]),
            CommandGroup(name: "Prepare data", subcommands: [
                Convert.self, Validate.self, Unpack.self, InitBundle.self,
            ]),
            CommandGroup(name: "Train and score directly", subcommands: [
                Train.self, Predict.self, Evaluate.self, Score.self, ServeModel.self, Example.self, ImportModel.self,
            ]),
            CommandGroup(name: "Models and schedules", subcommands: [
                Weights.self, Schedule.self, Schedules.self, Retrain.self,
            ]),
            CommandGroup(name: "Set-up", subcommands: [
                Init.self, Doctor.self,
            ]),
        ])

    public init() {}

    /// Engine commands are parsed here (so --help and mistakes answer fast) and run in spool-trainer.
    public struct Train: ParsableCommand {
        public static let configuration = TrainArguments.configuration
        @OptionGroup public var arguments: TrainArguments
        public init() {}
        public func run() throws { try TrainerProcess.exec(Array(CommandLine.arguments.dropFirst())) }
    }

    public struct Predict: ParsableCommand {
        public static let configuration = PredictArguments.configuration
        @OptionGroup public var arguments: PredictArguments
        public init() {}
        public func run() throws { try TrainerProcess.exec(Array(CommandLine.arguments.dropFirst())) }
    }

    public struct Evaluate: ParsableCommand {
        public static let configuration = EvaluateArguments.configuration
        @OptionGroup public var arguments: EvaluateArguments
        public init() {}
        public func run() throws { try TrainerProcess.exec(Array(CommandLine.arguments.dropFirst())) }
    }

    public struct Example: ParsableCommand {
        public static let configuration = ExampleArguments.configuration
        @OptionGroup public var arguments: ExampleArguments
        public init() {}
        public func run() throws { try TrainerProcess.exec(Array(CommandLine.arguments.dropFirst())) }
    }

    public struct ImportModel: ParsableCommand {
        public static let configuration = ImportModelArguments.configuration
        @OptionGroup public var arguments: ImportModelArguments
        public init() {}
        public func run() throws { try TrainerProcess.exec(Array(CommandLine.arguments.dropFirst())) }
    }
}
