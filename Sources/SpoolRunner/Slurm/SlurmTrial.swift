import Foundation
import SpoolCore
import Synchronization

/// One trial as a Slurm batch job: submitted with `sbatch --parsable`, followed through `squeue` and the
/// progress file the trainer writes on the shared filesystem, stopped with `scancel`.
///
/// Stopping is `scancel` (SIGTERM to the trainer, which the batch script `exec`s, then SIGKILL after Slurm's
/// KillWait). The trainer writes its model at every new best evaluation, so a stopped trial keeps its
/// best so far. Slurm's own ends map to the trial's: TIMEOUT (its time limit) is the trial's budget running out, OUT_OF_MEMORY is out of memory, NODE_FAIL and PREEMPTED are requeued by Slurm (`--requeue`) and
/// so stay active. A `SlurmFollower` follows it with the daemon's other trials (one `squeue` a poll for all),
/// on a thread of its own: a slow controller delays the trials' news, nothing else; `sbatch` runs on the caller's
/// (the job's) thread, 30 s at most.
public final class SlurmTrial: TrialHandle, Sendable {
    let launch: TrialProcess.Launch
    let client: SlurmClient
    let request: SlurmBatchRequest
    /// The partition's MaxTime, not the job's budget, set `--time`: at that limit the trial is resubmitted and
    /// resumes from its checkpoint, while the job has budget left.
    var cutByPartition: Bool {
        get { state.withLock { $0.cutByPartition } }
        set { state.withLock { $0.cutByPartition = newValue } }
    }
    let follower: SlurmFollower
    /// The trainer's standard output: one progress event a line.
    let progressFile: URL
    let scriptFile: URL

    /// What the follower, the job's loop and `wait()` share.
    private struct State {
        var cutByPartition = false
        var jobID: String?
        var status: SlurmJobStatus?
        var ended = false
        var forgotten = false
        var stopReason: TrialProcess.StopReason?
        var cancelSent = false
        var offset: UInt64 = 0
        var pending = Data()
        var onEvent: (@Sendable (ProgressEvent) -> Void)?
    }
    private let state = Mutex(State())
    private let finished = DispatchSemaphore(value: 0)

    /// `launch` is what would run here; it runs in Slurm with `settings`' resources for at most
    /// `timeLimitMinutes`, warned `warningSeconds` before. `follower` follows it with the daemon's other trials;
    /// nil, one of its own, polling every `settings.pollSeconds`.
    public init(_ launch: TrialProcess.Launch, jobName: String, workingDirectory: URL, settings: SlurmExecutorSettings,
                client: SlurmClient, timeLimitMinutes: Int, warningSeconds: Int?, follower: SlurmFollower? = nil) {
        self.launch = launch
        self.client = client
        self.follower = follower ?? SlurmFollower(client: client, pollSeconds: settings.pollSeconds)
        let base = launch.logFile.deletingPathExtension()
        progressFile = base.appendingPathExtension("progress.jsonl")
        scriptFile = base.appendingPathExtension("sbatch.sh")
        request = SlurmBatchRequest(jobName: jobName, command: [launch.executable.path] + launch.arguments,
                                    workingDirectory: workingDirectory, logFile: launch.logFile,
                                    partition: settings.partition, gpus: settings.gpusPerTrial,
                                    cpusPerTask: settings.cpusPerTrial, memoryMiB: settings.memoryMiB,
                                    timeLimitMinutes: timeLimitMinutes, warningSeconds: warningSeconds, requeue: true,
                                    environment: Self.added(launch.environment), standardOutput: progressFile,
                                    tasks: settings.processesPerTrial)
    }

    /// What `environment` adds to or changes in the daemon's own (which the job inherits through `--export=ALL`).
    static func added(_ environment: [String: String], to base: [String: String] = ProcessInfo.processInfo.environment)
        -> [String: String]
    {
        environment.filter { base[$0.key] != $0.value }
    }

    /// Slurm's id for the trial, once submitted.
    public var slurmJobID: String? { state.withLock { $0.jobID } }

    /// The latest state Slurm gave.
    public var slurmStatus: SlurmJobStatus? { state.withLock { $0.status } }

    public var placement: String {
        state.withLock { $0.jobID.map { "Slurm job \($0)" } ?? "Slurm (not submitted)" }
    }

    public func start(onEvent: @escaping @Sendable (ProgressEvent) -> Void) throws {
        try FileManager.default.createDirectory(at: launch.logFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: progressFile.path, contents: nil)
        let id = try client.submit(request, scriptFile: scriptFile)
        follow(id, onEvent: onEvent)
    }

    /// Follows a trial an earlier daemon submitted as `slurmJobID` (a restart): its progress file is read from
    /// the start, so every evaluation it made meanwhile is seen.
    public func attach(slurmJobID id: String, onEvent: @escaping @Sendable (ProgressEvent) -> Void) {
        follow(id, onEvent: onEvent)
    }

    /// Hands the trial to the follower, which polls Slurm and the progress file until Slurm reports the job
    /// ended (or no longer knows it).
    private func follow(_ id: String, onEvent: @escaping @Sendable (ProgressEvent) -> Void) {
        state.withLock { state in
            state.jobID = id
            state.onEvent = onEvent
        }
        let follower = follower
        Task { await follower.follow(self, id: id) }
    }

    /// The follower's latest answer from Slurm.
    func record(_ current: SlurmJobStatus) {
        state.withLock { $0.status = current }
    }

    /// The follower's last look: Slurm reported the job ended, or no longer knows it (`forgotten`). The progress
    /// file is read once more, then `wait()` returns.
    func finish(forgotten: Bool) {
        state.withLock { $0.forgotten = forgotten }
        readProgress()
        state.withLock { $0.ended = true }
        finished.signal()
    }

    /// Hands every complete new line of the progress file to `onEvent`.
    func readProgress() {
        guard let handle = try? FileHandle(forReadingFrom: progressFile) else { return }
        defer { try? handle.close() }
        let start = state.withLock { $0.offset }
        guard (try? handle.seek(toOffset: start)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else { return }
        var events: [ProgressEvent] = []
        let callback: (@Sendable (ProgressEvent) -> Void)? = state.withLock { state in
            state.offset = start + UInt64(data.count)
            state.pending.append(data)
            while let newline = state.pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = state.pending[state.pending.startIndex..<newline]
                state.pending.removeSubrange(state.pending.startIndex...newline)
                if let event = ProgressEvent.parse(Data(line)) { events.append(event) }
            }
            return state.onEvent
        }
        events.forEach { callback?($0) }
    }

    /// `scancel`: Slurm sends the trainer SIGTERM, then SIGKILL after the cluster's KillWait (its grace, not
    /// `grace`); the job ends CANCELLED in Slurm. A pending job is simply removed from the queue. The command runs
    /// on the follower's thread (the job's loop must not wait on a slow controller).
    public func stop(_ reason: TrialProcess.StopReason, grace: Double) {
        let id: String? = state.withLock { state in
            guard state.stopReason == nil, !state.ended else { return nil }
            state.stopReason = reason
            return state.jobID
        }
        guard let id else { return }
        let follower = follower
        Task { await follower.cancelNow(self, id: id) }
    }

    /// Sends the `scancel` a stop asked for, once; a controller that did not answer is asked again on the next
    /// poll.
    func cancelIfAsked(_ id: String, client: SlurmClient) {
        let due = state.withLock { $0.stopReason != nil && !$0.cancelSent }
        guard due, (try? client.cancel(id)) != nil else { return }
        state.withLock { $0.cancelSent = true }
    }

    public var isRunning: Bool { state.withLock { !$0.ended } }

    public func wait() -> TrialProcess.Outcome {
        finished.wait()
        finished.signal()  // later waits return at once
        let (reason, last, lost, id) = state.withLock { ($0.stopReason, $0.status, $0.forgotten, $0.jobID ?? "?") }
        // COMPLETED with exit 0: the trainer had finished before the stop reached it.
        if let last, last.state == .completed, (last.exitStatus ?? 0) == 0 { return .completed }
        if let reason { return reason.outcome }
        let tail = TrialProcess.tail(of: launch.logFile)
        guard !lost, let last, let state = last.state else {
            // Slurm forgets an ended job after MinJobAge: the trial's own metrics.json says whether it finished.
            let metrics = launch.logFile.deletingPathExtension().appendingPathComponent(MetricsDocument.fileName)
            if (try? MetricsDocument.read(from: metrics))?.complete == true { return .completed }
            return .failed("Slurm no longer knows job \(id) and the trial left no complete result: \(tail)")
        }
        let node = last.nodes.map { " on \($0)" } ?? ""
        switch state {
        case .completed:
            return .completed
        case .timeout, .deadline:
            return .trialTimedOut
        case .outOfMemory:
            return .outOfMemory("Slurm stopped job \(id)\(node) for using more than its memory (OUT_OF_MEMORY); "
                + "raise --slurm-mem or lower training_batch_size")
        case .cancelled, .revoked:
            return .cancelled
        case .failed, .specialExit:
            if let signal = last.signal {
                return .failed("the trial crashed (signal \(signal), \(TrialProcess.signalName(Int32(signal)))) in Slurm job \(id)\(node): \(tail)")
            }
            if last.exitStatus == TrialExitCode.stopped {
                // Nobody in Spool stopped it: Slurm's warning before the time limit (--signal) reached the trainer,
                // which saved a checkpoint and stopped; the model of its best evaluation so far stands.
                return .trialTimedOut
            }
            if last.exitStatus == TrialExitCode.outOfMemory {
                return .outOfMemory("out of memory in Slurm job \(id)\(node): \(tail); lower training_batch_size")
            }
            return .failed("the trial exited with status \(last.exitStatus ?? -1) in Slurm job \(id)\(node): \(tail)")
        default:
            return .failed("Slurm ended job \(id)\(node) as \(last.summary): \(tail)")
        }
    }
}
