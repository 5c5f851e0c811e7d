import ArgumentParser
import SpoolArguments

extension Spoolctl {
    /// `spoolctl score`: parsed here, run in spool-trainer (the engine's process).
    public struct Score: ParsableCommand {
        public static let configuration = ScoreArguments.configuration
        @OptionGroup public var arguments: ScoreArguments
        public init() {}
        public func run() throws { try TrainerProcess.exec(Array(CommandLine.arguments.dropFirst())) }
    }
}

extension Spoolctl {
    /// `spoolctl serve-model`: parsed here, served from spool-trainer (the engine's process).
    public struct ServeModel: ParsableCommand {
        public static let configuration = ServeModelArguments.configuration
        @OptionGroup public var arguments: ServeModelArguments
        public init() {}
        public func run() throws { try TrainerProcess.exec(Array(CommandLine.arguments.dropFirst())) }
    }
}
