import ArgumentParser
import Foundation
import SpoolCommands

/// `spool-trainer`: the engine's process. `spoolctl` hands it train, predict, import-model and doctor.
public struct SpoolTrainer: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "spool-trainer",
        abstract: "Spool's engine process (libtorch). Normally started by spoolctl; the same commands and options.",
        version: SpoolVersion.current,
        subcommands: [TrainCommand.self, PredictCommand.self, ImportModelCommand.self, ExampleCommand.self, DoctorCommand.self])

    public init() {}

    /// OpenBLAS reads its thread count when it loads, before main: when unset, run again with it set.
    public static func ensureEnvironment() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil else { return }
        setenv("OPENBLAS_NUM_THREADS", "1", 1)
        let argv = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", argv)  // on failure, go on as we are
    }
}

/// Standard error, for progress lines.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
