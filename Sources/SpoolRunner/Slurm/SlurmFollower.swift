import Foundation

/// Follows every Slurm trial of a daemon with one `squeue` a poll for all their job ids (no per-job query
/// storm on the controller): each turn reads each trial's progress file, sends the `scancel`s that stops asked
/// for (again on the next turn when the controller did not answer), asks Slurm about all the ids at once and
/// ends the trials Slurm reports ended, or no longer knows three turns in a row.
///
/// It waits on the injected clock and polls only while it follows a trial. `squeue` and `scancel` block (each
/// within the client's time limit): the follower runs on a dispatch queue of its own, not on Swift's shared task
/// threads.
public actor SlurmFollower {
    private let executor = DispatchQueueExecutor(label: "spool.slurm-follower")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    let client: SlurmClient
    let pollSeconds: Double
    let clock: any Clock<Duration>

    private struct Followed {
        let trial: SlurmTrial
        /// Turns in a row Slurm did not list the job.
        var misses = 0
    }
    private var followed: [String: Followed] = [:]
    private var loop: Task<Void, Never>?
    /// How many `squeue` calls it made (one a turn).
    private(set) var polls = 0

    public init(client: SlurmClient, pollSeconds: Double, clock: any Clock<Duration> = ContinuousClock()) {
        self.client = client
        self.pollSeconds = pollSeconds
        self.clock = clock
    }

    /// Follows `trial`, Slurm's job `id`, from the next turn (at once when the follower was idle).
    func follow(_ trial: SlurmTrial, id: String) {
        followed[id] = Followed(trial: trial)
        guard loop == nil else { return }
        loop = Task { await self.run() }
    }

    /// Sends the `scancel` a stop asked for now, not at the next turn.
    func cancelNow(_ trial: SlurmTrial, id: String) {
        trial.cancelIfAsked(id, client: client)
    }

    /// Stops following (the daemon stops; its trials go on in Slurm for the next daemon to re-attach).
    public func stop() {
        loop?.cancel()
        loop = nil
        followed = [:]
    }

    private func run() async {
        while !followed.isEmpty, !Task.isCancelled {
            poll()
            guard !followed.isEmpty else { break }
            do { try await clock.sleep(for: .seconds(pollSeconds)) } catch { break }
        }
        if !Task.isCancelled { loop = nil }
    }

    /// One turn: progress files and pending cancels, then one `squeue` for every followed id.
    private func poll() {
        let ids = followed.keys.sorted()
        for id in ids {
            followed[id]?.trial.readProgress()
            followed[id]?.trial.cancelIfAsked(id, client: client)
        }
        polls += 1
        // The controller did not answer: look again on the next turn (the jobs go on meanwhile).
        guard let answer = try? client.statuses(of: ids) else { return }
        for id in ids {
            guard var entry = followed[id] else { continue }
            if let current = answer[id] {
                entry.misses = 0
                entry.trial.record(current)
                if let state = current.state, !state.isActive {
                    followed[id] = nil
                    entry.trial.finish(forgotten: false)
                } else {
                    followed[id] = entry
                }
            } else {
                // Slurm forgets an ended job after MinJobAge; a just-submitted one is always listed.
                entry.misses += 1
                if entry.misses >= 3 {
                    followed[id] = nil
                    entry.trial.finish(forgotten: true)
                } else {
                    followed[id] = entry
                }
            }
        }
    }
}
