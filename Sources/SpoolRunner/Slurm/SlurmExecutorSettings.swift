import Foundation

/// What `serve --executor slurm` asks of Slurm for every trial, and how the daemon talks to it.
public struct SlurmExecutorSettings: Sendable, Equatable {
    /// The partition trials go to (nil: the cluster's default one).
    public var partition: String?
    /// GPUs per trial (`--gres=gpu:N`; the trainer then runs on `cuda`).
    public var gpusPerTrial: Int
    /// Cores per process of a trial (`--cpus-per-task`, and the trainer's threads).
    public var cpusPerTrial: Int
    /// Processes per trial (`--ntasks`, one `srun` of them): data-parallel training, one process per GPU by
    /// default; on CPUs, processes that share each batch through gloo.
    public var processesPerTrial: Int
    /// Memory per trial in MiB (`--mem`; nil: the partition's default).
    public var memoryMiB: Int?
    /// Trials one daemon keeps in Slurm at once, over all its jobs (each job still keeps to its
    /// `max_concurrent_trials`).
    public var maxTrials: Int
    /// Added to the environment of Slurm's commands (`SLURM_CONF` for a cluster other than the default one).
    public var environment: [String: String]
    /// Seconds between two looks at a trial's Slurm state and progress file.
    public var pollSeconds: Double
    /// The partition's time limit in minutes (`sinfo`; nil: none): no trial asks for more.
    public var maxTimeMinutes: Int?

    public init(partition: String? = nil, gpusPerTrial: Int = 0, cpusPerTrial: Int = 1, memoryMiB: Int? = nil,
                maxTrials: Int = 16, environment: [String: String] = [:], pollSeconds: Double = 5,
                processesPerTrial: Int? = nil) {
        self.partition = partition
        self.gpusPerTrial = gpusPerTrial
        self.cpusPerTrial = cpusPerTrial
        self.processesPerTrial = max(1, processesPerTrial ?? gpusPerTrial)
        self.memoryMiB = memoryMiB
        self.maxTrials = maxTrials
        self.environment = environment
        self.pollSeconds = pollSeconds
    }
}
