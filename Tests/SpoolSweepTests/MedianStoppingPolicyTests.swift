import SpoolCore
import Testing
@testable import SpoolSweep

@Suite struct MedianStoppingPolicyTests {
    private let policy = MedianStoppingPolicy(schedule: PolicySchedule())

    private func progress(_ number: Int, _ metrics: [Double]) -> TrialProgress {
        SweepFixtures.progress(number, metrics)
    }

    @Test func stopsATrialWhoseBestIsBelowTheMedianRunningAverage() {
        // Running averages over intervals 1...3:
        //   trial 1: (0.5 + 0.6 + 0.7) / 3 = 0.6      best 0.7
        //   trial 2: (0.4 + 0.5 + 0.6) / 3 = 0.5      best 0.6
        //   trial 3: (0.2 + 0.3 + 0.35) / 3 = 0.2833  best 0.35
        //   trial 4: (0.3 + 0.5 + 0.55) / 3 = 0.45    best 0.55
        // Sorted 0.2833, 0.45, 0.5, 0.6: median (0.45 + 0.5) / 2 = 0.475. Only trial 3 (0.35) is below.
        let trials = [
            progress(1, [0.5, 0.6, 0.7]), progress(2, [0.4, 0.5, 0.6]),
            progress(3, [0.2, 0.3, 0.35]), progress(4, [0.3, 0.5, 0.55]),
        ]
        let stopped = trials.filter { policy.shouldStop(trial: $0, at: 3, among: trials) != nil }.map(\.number)
        #expect(stopped == [3])
        #expect(policy.shouldStop(trial: trials[2], at: 3, among: trials)
            == "median stopping at interval 3: best so far 0.3500 is below the median running average 0.4750 of 4 trials")
    }

    @Test func theBestSoFarCountsNotTheLatestReport() {
        // Averages at 3: trial 1 (0.9 + 0.2 + 0.2) / 3 = 0.4333, trial 2 0.5, trial 3 0.6: median 0.5.
        // Trial 1 reports 0.2 now, but its best so far is 0.9.
        let trials = [progress(1, [0.9, 0.2, 0.2]), progress(2, [0.5, 0.5, 0.5]), progress(3, [0.6, 0.6, 0.6])]
        #expect(policy.shouldStop(trial: trials[0], at: 3, among: trials) == nil)
    }

    @Test func trialsThatHaveNotReachedTheIntervalDoNotCount() {
        // At 3: trial 1 averages 0.6, trial 2 0.5; trial 3 has reported only 2 intervals.
        // Median of {0.5, 0.6} = 0.55 > trial 2's best 0.5: stop. Were trial 3 (0.1) counted, the median
        // of {0.1, 0.5, 0.6} would be 0.5 and trial 2 would go on.
        let trials = [progress(1, [0.6, 0.6, 0.6]), progress(2, [0.5, 0.5, 0.5]), progress(3, [0.1, 0.1])]
        #expect(policy.shouldStop(trial: trials[1], at: 3, among: trials)
            == "median stopping at interval 3: best so far 0.5000 is below the median running average 0.5500 of 2 trials")
    }

    @Test func reportsAfterTheIntervalDoNotCount() {
        // At 3: trial 1 averages 0.2 over 1...3 (its 0.9s come later), trial 2 0.3: median 0.25, and
        // trial 2's best 0.3 is above it. Averaged over all six reports trial 1 would be 0.55, the median
        // 0.425, and trial 2 would stop.
        let trials = [progress(1, [0.2, 0.2, 0.2, 0.9, 0.9, 0.9]), progress(2, [0.3, 0.3, 0.3])]
        #expect(policy.shouldStop(trial: trials[1], at: 3, among: trials) == nil)
    }

    @Test func aTrialAloneAtTheIntervalGoesOn() {
        // Trial 1 is the only one to have reported interval 2.
        let trials = [progress(1, [0.1, 0.1]), progress(2, [0.9])]
        #expect(policy.shouldStop(trial: trials[0], at: 2, among: trials) == nil)
        #expect(policy.shouldStop(trial: trials[0], at: 1, among: trials) != nil)
    }

    @Test func azureScheduleWaitsForTheDelay() {
        // interval 1, delay 5: not applied at 4, applied at 5. Averages at 5: 0.8 and 0.3, median 0.55.
        let delayed = MedianStoppingPolicy(schedule: PolicySchedule(evaluationInterval: 1, delayEvaluation: 5))
        let trials = [progress(1, Array(repeating: 0.8, count: 5)), progress(2, Array(repeating: 0.3, count: 5))]
        #expect(delayed.shouldStop(trial: trials[1], at: 4, among: trials) == nil)
        #expect(delayed.shouldStop(trial: trials[1], at: 5, among: trials) != nil)
    }

    @Test func settingsMakeTheMedianStoppingPolicy() throws {
        let schedule = PolicySchedule(evaluationInterval: 2, delayEvaluation: 4)
        let policy = try #require(EarlyTerminationSettings.medianStopping(schedule: schedule).makePolicy()
            as? MedianStoppingPolicy)
        #expect(policy.schedule == schedule)
    }
}
