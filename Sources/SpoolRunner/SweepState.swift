import Foundation
import SpoolCore
import SpoolStore
import SpoolSweep

/// Where a job's sweep stands: which configurations were tried, what each reached, what to try next.
///
/// Rebuilt from the store when a job resumes after a restart: finished trials count and are not run again; a
/// trial the daemon's death or shutdown interrupted (PENDING) resumes, as the same trial, from its checkpoint.
struct SweepState {
    /// One configuration to start: new, a trial to resume, or retried with a smaller batch.
    struct Launch: Equatable {
        var index: Int
        var configuration: Configuration
        var retryOf: Int?
        /// The interrupted trial this launch resumes (its number and store id); nil for a new trial.
        var resuming: (number: Int, id: Int64)?

        static func == (a: Launch, b: Launch) -> Bool {
            a.index == b.index && a.configuration == b.configuration && a.retryOf == b.retryOf
                && a.resuming?.number == b.resuming?.number && a.resuming?.id == b.resuming?.id
        }
    }

    let plan: SweepPlan
    /// What the sampler is shown, by configuration index.
    var observations: [Int: SweepObservation] = [:]
    /// The metric per evaluation of every trial, by trial number.
    var progress: [Int: TrialProgress] = [:]
    var nextIndex = 0
    var nextNumber = 0
    /// Configuration indexes to run again (their trial was interrupted).
    var reruns: [Int] = []
    /// Trials to retry with half the batch size (they ran out of memory).
    var retries: [Launch] = []
    /// Interrupted trials to resume, first of all.
    var resumes: [Launch] = []
    var exhausted = false

    init(plan: SweepPlan) {
        self.plan = plan
    }

    /// Configurations tried or being tried (retries and reruns do not count twice).
    var launched: Int { Set(observations.keys).count }

    var hasMoreToLaunch: Bool {
        !resumes.isEmpty || !retries.isEmpty || !reruns.isEmpty || (!exhausted && launched < plan.maxTrials)
    }

    /// The history as the sampler wants it, in index order.
    var history: [SweepObservation] { observations.keys.sorted().map { observations[$0]! } }

    mutating func resume(from trials: [Trial], epochs: (Int64) -> [EpochMetric]?) {
        nextNumber = (trials.map(\.number).max() ?? -1) + 1
        nextIndex = (trials.compactMap(\.configurationIndex).max() ?? -1) + 1
        for trial in trials.sorted(by: { $0.number < $1.number }) {
            let index = trial.configurationIndex ?? trial.number
            let configuration = Configuration(branch: trial.branch ?? 0, values: Self.values(trial.hyperparametersJSON))
            let metrics = (epochs(trial.id) ?? []).sorted { $0.epoch < $1.epoch }.compactMap(\.primaryMetric)
            if trial.state == .pending {
                // Interrupted with the daemon: it resumes as itself; what it evaluated so far stays the policy's.
                observations[index] = SweepObservation(index: index, configuration: configuration, state: .running, value: nil)
                progress[trial.number] = TrialProgress(number: trial.number, metrics: metrics)
                resumes.append(Launch(index: index, configuration: configuration, retryOf: trial.retryOf,
                                      resuming: (trial.number, trial.id)))
                continue
            }
            // Spool before resumes: an interrupted trial ended FAILED or CANCELLED "interrupted", and ran again anew.
            let interrupted = trial.reason.hasPrefix("interrupted")
            if interrupted {
                if observations[index] == nil, !reruns.contains(index) { reruns.append(index) }
                continue
            }
            reruns.removeAll { $0 == index }
            observations[index] = SweepObservation(index: index, configuration: configuration,
                                                   state: Self.observed(trial.state), value: trial.bestMetricValue)
            progress[trial.number] = TrialProgress(number: trial.number, metrics: metrics, isFinished: trial.state.isFinal)
        }
        if nextIndex == 0, !trials.isEmpty { nextIndex = launched }
    }

    /// The next configuration to start, or nil when the sampler has no more.
    mutating func next() -> Launch? {
        if !resumes.isEmpty { return resumes.removeFirst() }
        if !retries.isEmpty { return retries.removeFirst() }
        let index: Int
        if !reruns.isEmpty {
            index = reruns.removeFirst()
        } else {
            guard !exhausted, launched < plan.maxTrials else { return nil }
            index = nextIndex
        }
        guard let configuration = plan.sampler.suggest(index: index, history: history) else {
            exhausted = true
            return nil
        }
        if index == nextIndex { nextIndex += 1 }
        return Launch(index: index, configuration: configuration, retryOf: nil)
    }

    mutating func started(_ launch: Launch, number: Int) {
        nextNumber = max(nextNumber, number + 1)
        observations[launch.index] = SweepObservation(index: launch.index, configuration: launch.configuration,
                                                      state: .running, value: nil)
        if launch.resuming == nil || progress[number] == nil { progress[number] = TrialProgress(number: number, metrics: []) }
    }

    mutating func ended(_ launch: Launch, number: Int, state: JobState, value: Double?) {
        observations[launch.index] = SweepObservation(index: launch.index, configuration: launch.configuration,
                                                      state: Self.observed(state), value: value)
        progress[number]?.isFinished = true
    }

    static func observed(_ state: JobState) -> SweepObservation.State {
        switch state {
        case .completed: .completed
        case .cancelled, .timeout: .stopped
        case .failed, .outOfMemory: .failed
        case .pending, .running: .running
        }
    }

    /// A trial's sampled values, from the store's JSON.
    static func values(_ json: String) -> [String: SettingValue] {
        (try? JSONDecoder().decode([String: SettingValue].self, from: Data(json.utf8))) ?? [:]
    }

    /// The sampled values as the store keeps them.
    static func json(_ values: [String: SettingValue]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(values)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
