import ArgumentParser
import Foundation
import Logging
import SpoolArguments
import SpoolCore
import SpoolRunner
import SpoolStore

extension Spoolctl {
    /// `spoolctl serve`: the daemon.
    public struct Serve: ParsableCommand {
        /// Where the daemon runs trials.
        public enum ExecutorKind: String, ExpressibleByArgument, CaseIterable, Sendable {
            case local, slurm
        }

        public static let configuration = CommandConfiguration(
            abstract: "Watch the spool's incoming/ folder, queue what is dropped there, and train it.",
            discussion: """
            Creates the spool if needed. Drops are noticed through inotify (with a rescan at start, on queue \
            overflow and every minute), unpacked safely, validated, queued in spool.sqlite, trained in child \
            processes (one per trial), and published to outbox/<job>/. A rejected drop goes to failed/ with \
            NAME.error.json beside it. SIGTERM or SIGINT stops gracefully: running trials stop and their jobs \
            are requeued. The daemon's log is spool/spool.log (and standard error); each job has its own \
            jobs/<id>/job.log.

            --once takes what is in incoming/, runs the queue empty and exits: for cron and tests.

            --executor slurm submits each trial to Slurm (sbatch) instead of running it here: the spool must be on a filesystem the nodes share, at the same path; Slurm's commands must work for the daemon's user. Each trial asks for --slurm-cpus cores, --slurm-gpus GPUs and --slurm-mem MiB on --partition, for what is left of its job's budget (at most trial_timeout_minutes). Trials in Slurm outlive the daemon: stopping it (or kill -9) leaves them there, and the next daemon re-attaches to them. See docs/scale-out.md.

            --retain-days and --retain-per-name remove finished jobs as `spoolctl prune` does (never a line's \
            model in use), at start and after each job; spool.log lists what went.

            Examples:
              spoolctl serve --spool /var/lib/spool --device cuda
              spoolctl serve --once --max-job-seconds 600
              spoolctl serve --executor slurm --partition gpu --slurm-gpus 1
            """)
        @OptionGroup public var spool: SpoolOptions
        @Flag(help: "Take what is in incoming/, run the queue empty, exit.")
        public var once = false
        @Option(help: "cpu, cuda or cuda:N for the trials.")
        public var device: String = "cpu"
        @Option(name: .customLong("grace"), help: "Seconds between SIGTERM and SIGKILL when a trial must stop.")
        public var graceSeconds: Double = 10
        @Option(name: .customLong("rescan"), help: "Seconds between full scans of incoming/.")
        public var rescanSeconds: Double = 60
        @Option(name: .customLong("progress"), help: ArgumentHelp("Seconds between a training trial's progress lines (its epochs are always logged).", valueName: "seconds"))
        public var progressSeconds: Double = 30
        @Option(name: .customLong("max-job-seconds"), help: "Cap every job's budget at this many seconds, whatever its timeout_minutes.")
        public var maxJobSeconds: Int?
        @Option(name: .customLong("weights-dir"),
                help: "A folder of reference weight files every trial searches (repeatable; default: the spool's weights/).")
        public var weightsDirectories: [String] = []
        @Option(name: .customLong("retain-days"), help: ArgumentHelp("Remove jobs that finished more than this many days ago.", valueName: "days"))
        public var retainDays: Double?
        @Option(name: .customLong("retain-per-name"), help: ArgumentHelp("Keep only the newest N finished jobs of each name.", valueName: "n"))
        public var retainPerName: Int?
        @Option(help: "Where trials run: local (child processes) or slurm (batch jobs).")
        public var executor: ExecutorKind = .local
        @Option(help: "Slurm: the partition for the trials (default: the cluster's default).")
        public var partition: String?
        @Option(name: .customLong("slurm-cpus"), help: ArgumentHelp("Slurm: cores per trial.", valueName: "n"))
        public var slurmCPUs: Int = 1
        @Option(name: .customLong("slurm-gpus"), help: ArgumentHelp("Slurm: GPUs per trial (--gres=gpu:N).", valueName: "n"))
        public var slurmGPUs: Int = 0
        @Option(name: .customLong("slurm-tasks"), help: ArgumentHelp("Slurm: data-parallel processes per trial, one srun of them (default: one per GPU).", valueName: "n"))
        public var slurmTasks: Int?
        @Option(name: .customLong("slurm-mem"), help: ArgumentHelp("Slurm: memory per trial in MiB (default: the partition's).", valueName: "mib"))
        public var slurmMemory: Int?
        @Option(name: .customLong("slurm-max-trials"), help: ArgumentHelp("Slurm: trials this daemon keeps in Slurm at once.", valueName: "n"))
        public var slurmMaxTrials: Int = 16
        @Option(name: .customLong("slurm-poll"), help: ArgumentHelp("Slurm: seconds between two looks at a trial.", visibility: .hidden))
        public var slurmPoll: Double = 5
        @Option(help: ArgumentHelp("The time schedules see, ISO 8601 (tests, replaying a missed night).", visibility: .hidden))
        public var now: String?
        public init() {}

        /// The partition's time limit, which caps every trial's `--time` (a job asking more would wait for ever). Slurm's
        /// commands missing is an error now, not at the first trial; a controller that does not answer only leaves
        /// the limit unknown.
        static func partitionTimeLimit(_ partition: String?, logger: Logger) throws -> Int? {
            do {
                let limit = try SlurmClient(timeout: 15).partitionTimeLimitMinutes(partition)
                logger.info("Slurm partition \(partition ?? "(the default)"): time limit \(limit.map { "\($0) min" } ?? "none")")
                return limit
            } catch let error as SlurmError {
                if case .missingCommand = error { throw CommandError("--executor slurm: \(error)") }
                if case .refused(_, let message) = error, message.hasPrefix("there is no partition") {
                    throw CommandError("--partition \(partition ?? ""): \(message)")
                }
                logger.warning("cannot read the partition's time limit (\(error)); trials ask for their whole budget")
                return nil
            }
        }

        public func run() throws {
            let layout = spool.layout
            try layout.create()
            let store = try openStore(layout)
            let logger = RunLogHandler.logger(label: "spool.daemon", file: layout.daemonLog, mirrorToStderr: true)
            var executor = JobExecutor.Options(trainer: try TrainerProcess.executableURL(),
                                               owner: "\(ProcessInfo.processInfo.hostName):\(getpid())")
            executor.device = device
            executor.graceSeconds = graceSeconds
            guard progressSeconds > 0 else { throw CommandError("--progress must be more than 0 seconds") }
            executor.progressLogSeconds = progressSeconds
            executor.maxJobSeconds = maxJobSeconds
            executor.weightsDirectories = weightsDirectories.isEmpty ? [layout.weights.path] : weightsDirectories
            if self.executor == .slurm {
                guard slurmCPUs >= 1, slurmGPUs >= 0, slurmMaxTrials >= 1, (slurmMemory ?? 1) >= 1, (slurmTasks ?? 1) >= 1 else {
                    throw CommandError("--slurm-cpus, --slurm-tasks, --slurm-max-trials and --slurm-mem must be at least 1, --slurm-gpus at least 0")
                }
                executor.slurm = SlurmExecutorSettings(partition: partition, gpusPerTrial: slurmGPUs, cpusPerTrial: slurmCPUs,
                                                       memoryMiB: slurmMemory, maxTrials: slurmMaxTrials,
                                                       pollSeconds: max(0.05, slurmPoll), processesPerTrial: slurmTasks)
                executor.slurm?.maxTimeMinutes = try Self.partitionTimeLimit(partition, logger: logger)
            } else if partition != nil || slurmMemory != nil || slurmGPUs != 0 || slurmCPUs != 1 || slurmTasks != nil {
                throw CommandError("--partition and --slurm-* apply to --executor slurm only")
            }
            var options = SpoolDaemon.Options(executor: executor)
            options.once = once
            options.rescanSeconds = rescanSeconds
            if retainDays != nil || retainPerName != nil {
                if let retainDays, !(retainDays > 0) { throw CommandError("--retain-days must be more than 0") }
                if let retainPerName, retainPerName < 1 { throw CommandError("--retain-per-name must be at least 1") }
                options.retention = Pruner.Rules(olderThan: retainDays.map { $0 * 86_400 }, keepPerName: retainPerName)
            }
            if let now {
                guard let fixed = ISO8601DateFormatter().date(from: now) else {
                    throw CommandError("--now \(now): expected an ISO 8601 time such as 2026-11-30T02:00:00Z")
                }
                let started = Date()
                options.clock = { fixed.addingTimeInterval(Date().timeIntervalSince(started)) }
            }
            // SIGTERM and SIGINT: the daemon's service group shuts down gracefully (the intake first, then the
            // scheduler, whose trials stop and whose jobs are requeued), saying so in spool.log.
            options.stopOnSignals = true
            let daemon = SpoolDaemon(layout: layout, store: store, options: options, logger: logger)
            do {
                try daemon.run()
            } catch {
                throw CommandError("\(error)")
            }
        }
    }
}

/// Opens the spool's queue, with a message that says what to do when it cannot.
func openStore(_ layout: SpoolLayout) throws -> JobStore {
    do {
        return try JobStore(path: layout.database.path)
    } catch {
        throw CommandError("cannot open the queue \(layout.database.path): \(error)")
    }
}
