import ArgumentParser
import CSpoolSystem
import Foundation
import SpoolArguments
import SpoolCore

/// `spool-trainer`: the engine's process. `spoolctl` hands it train, predict, import-model and doctor.
public struct SpoolTrainer: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "spool-trainer",
        abstract: "Spool's engine process (libtorch). Normally started by spoolctl; the same commands and options.",
        discussion: """
        spoolctl runs its engine commands (train, predict, evaluate, score, serve-model, example, \
        import-model, doctor) in this process; the daemon starts one per trial. Run it directly only to \
        debug the engine.

        Examples:
          spool-trainer doctor --json
          spool-trainer train examples/shapes --out runs/shapes
        """,
        version: SpoolVersion.current,
        subcommands: [TrainCommand.self, PredictCommand.self, ImportModelCommand.self, ExampleCommand.self, DoctorCommand.self,
                      ProbeCommand.self, ScoreCommand.self, ServeModelCommand.self, EvaluateCommand.self])

    public init() {}

    /// A trial started by the daemon dies with it (`SPOOL_PARENT_PID`): a `kill -9` of the daemon must not
    /// leave an orphan training on, since the restarted daemon requeues the job.
    public static func dieWithParent() {
        guard let text = ProcessInfo.processInfo.environment["SPOOL_PARENT_PID"], let parent = Int32(text) else { return }
        _ = spool_set_parent_death_signal(SIGKILL)
        if getppid() != parent { Foundation.exit(TrialExitCode.failure) }  // the parent died before prctl
    }

    /// OpenBLAS reads its thread count and core type when it loads, before main: when unset, run again with
    /// them set. glibc reads GLIBC_TUNABLES at start too (see TrainerProcess.environment), glog its level when
    /// libtorch loads.
    public static func ensureEnvironment() {
        let env = ProcessInfo.processInfo.environment
        var changed = false
        if env["OPENBLAS_NUM_THREADS"] == nil { setenv("OPENBLAS_NUM_THREADS", "1", 1); changed = true }
        if env["GLIBC_TUNABLES"] == nil { setenv("GLIBC_TUNABLES", TrainerEnvironment.mallocTunables, 1); changed = true }
        if env["GLOG_minloglevel"] == nil { setenv("GLOG_minloglevel", TrainerEnvironment.glogLevel, 1); changed = true }
        if env["OPENBLAS_CORETYPE"] == nil, let core = BLASCore.override(current: BLASCore.current(), cpuFlags: BLASCore.cpuFlags()) {
            setenv("OPENBLAS_CORETYPE", core, 1); changed = true
        }
        guard changed else { return }
        let argv = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", argv)  // on failure, go on as we are
    }
}

/// Standard error, for progress lines.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
