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
        """,
        version: SpoolVersion.current,
        subcommands: [Serve.self, Submit.self, Status.self, Cancel.self, Logs.self, Validate.self, Convert.self, Unpack.self, Init.self,
                      Train.self, Predict.self, ImportModel.self, Example.self, Doctor.self, Score.self, ServeModel.self,
                      Schedule.self, Schedules.self, Retrain.self, Weights.self, Evaluate.self])

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
