import SpoolCore
import Testing
@testable import SpoolSweep

@Suite struct TruncationSelectionPolicyTests {
    private func progress(_ number: Int, _ metrics: [Double], finished: Bool = false) -> TrialProgress {
        SweepFixtures.progress(number, metrics, finished: finished)
    }

    private func stopped(_ policy: TruncationSelectionPolicy, _ trials: [TrialProgress], at interval: Int) -> [Int] {
        trials.filter { policy.shouldStop(trial: $0, at: interval, among: trials) != nil }.map(\.number)
    }

    @Test func cutsTheLowestPercentageByTheMetricAtTheInterval() {
        // 40% of 6 trials: floor(6 * 40 / 100) = 2 cut. Reports at interval 2:
        //   1: 0.70, 2: 0.65, 3: 0.50, 4: 0.60, 5: 0.55, 6: 0.52
        // Lowest two: trial 3 (0.50) and trial 6 (0.52), though trial 6's best so far (0.9) is the highest.
        let policy = TruncationSelectionPolicy(percentage: 40, excludeFinishedJobs: false, schedule: PolicySchedule())
        let trials = [
            progress(1, [0.5, 0.70]), progress(2, [0.6, 0.65]), progress(3, [0.4, 0.50]),
            progress(4, [0.7, 0.60]), progress(5, [0.3, 0.55]), progress(6, [0.9, 0.52]),
        ]
        #expect(stopped(policy, trials, at: 2) == [3, 6])
        #expect(policy.shouldStop(trial: trials[5], at: 2, among: trials)
            == "truncation selection at interval 2: 0.5200 is among the lowest 2 of 6 trials at that interval (truncation_percentage 40)")
    }

    @Test func nothingIsCutBelowOneTrial() {
        // 20% of 4 = 0.8: nothing; 20% of 5 = 1: the lowest (trial 5, 0.1).
        let policy = TruncationSelectionPolicy(percentage: 20, excludeFinishedJobs: false, schedule: PolicySchedule())
        let four = [progress(1, [0.4]), progress(2, [0.3]), progress(3, [0.2]), progress(4, [0.15])]
        #expect(stopped(policy, four, at: 1) == [])
        #expect(stopped(policy, four + [progress(5, [0.1])], at: 1) == [5])
    }

    @Test func onlyTrialsThatReportedTheIntervalAreCompared() {
        // 50% at interval 2: trials 1 (0.6) and 2 (0.5) reported it, trial 3 only interval 1.
        // floor(2 * 50 / 100) = 1 cut: trial 2. Were trial 3 compared by its last report (0.05), it would be
        // the one cut instead.
        let policy = TruncationSelectionPolicy(percentage: 50, excludeFinishedJobs: false, schedule: PolicySchedule())
        let trials = [progress(1, [0.1, 0.6]), progress(2, [0.9, 0.5]), progress(3, [0.05])]
        #expect(stopped(policy, trials, at: 2) == [2])
    }

    @Test func onEqualMetricsTheLaterTrialRanksLower() {
        // 50% of 2 = 1 cut; both report 0.5, so trial 2 (the later) is the lowest.
        let policy = TruncationSelectionPolicy(percentage: 50, excludeFinishedJobs: false, schedule: PolicySchedule())
        let trials = [progress(1, [0.5]), progress(2, [0.5])]
        #expect(stopped(policy, trials, at: 1) == [2])
        #expect(stopped(policy, trials.reversed(), at: 1) == [2])
    }

    @Test func excludingFinishedJobsChangesTheDecision() {
        // 50% at interval 3. Finished trials 1 (0.3) and 2 (0.4); running trials 3 (0.5) and 4 (0.6).
        //   exclude_finished_jobs false: {0.3, 0.4, 0.5, 0.6}, 2 cut (0.3, 0.4): trial 3 goes on.
        //   exclude_finished_jobs true:  {0.5, 0.6}, 1 cut (0.5): trial 3 stops.
        let trials = [
            progress(1, [0.3, 0.3, 0.3, 0.3], finished: true), progress(2, [0.4, 0.4, 0.4], finished: true),
            progress(3, [0.5, 0.5, 0.5]), progress(4, [0.6, 0.6, 0.6]),
        ]
        let including = TruncationSelectionPolicy(percentage: 50, excludeFinishedJobs: false, schedule: PolicySchedule())
        let excluding = TruncationSelectionPolicy(percentage: 50, excludeFinishedJobs: true, schedule: PolicySchedule())
        #expect(including.shouldStop(trial: trials[2], at: 3, among: trials) == nil)
        #expect(excluding.shouldStop(trial: trials[2], at: 3, among: trials)
            == "truncation selection at interval 3: 0.5000 is among the lowest 1 of 2 trials at that interval (truncation_percentage 50, finished trials excluded)")
        #expect(excluding.shouldStop(trial: trials[3], at: 3, among: trials) == nil)
    }

    @Test func followsTheSchedule() {
        // evaluation_interval 2: interval 1 is skipped even for the lowest trial.
        let policy = TruncationSelectionPolicy(percentage: 50, excludeFinishedJobs: false,
                                               schedule: PolicySchedule(evaluationInterval: 2))
        let trials = [progress(1, [0.9, 0.9]), progress(2, [0.1, 0.1])]
        #expect(policy.shouldStop(trial: trials[1], at: 1, among: trials) == nil)
        #expect(policy.shouldStop(trial: trials[1], at: 2, among: trials) != nil)
    }

    @Test func settingsMakeTheTruncationSelectionPolicy() throws {
        let settings = EarlyTerminationSettings.truncationSelection(percentage: 25, excludeFinishedJobs: true,
                                                                    schedule: PolicySchedule())
        let policy = try #require(settings.makePolicy() as? TruncationSelectionPolicy)
        #expect(policy.percentage == 25 && policy.excludeFinishedJobs)
    }
}
