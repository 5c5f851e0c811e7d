import SpoolCore
import Testing
@testable import SpoolSweep

@Suite struct SuccessiveHalvingPolicyTests {
    private func progress(_ number: Int, _ metrics: [Double]) -> TrialProgress {
        SweepFixtures.progress(number, metrics)
    }

    @Test func rungsAreTheMinimumTimesPowersOfTheFactor() {
        let halving = SuccessiveHalvingPolicy(minResource: 1, reductionFactor: 2, schedule: PolicySchedule())
        #expect((1...20).filter(halving.isRung) == [1, 2, 4, 8, 16])
        let thirds = SuccessiveHalvingPolicy(minResource: 2, reductionFactor: 3, schedule: PolicySchedule())
        #expect((1...60).filter(thirds.isRung) == [2, 6, 18, 54])
    }

    @Test func eachTrialIsJudgedAgainstThoseThatReachedTheRungBeforeIt() {
        // reduction_factor 2, rung 4; trials arrive one by one with these metrics at interval 4:
        //   1: 0.6   n = 1, top max(1, 0) = 1: first             -> continues
        //   2: 0.5   n = 2, top 1: ranks 2nd (0.6, 0.5)           -> stops
        //   3: 0.7   n = 3, top 1: ranks 1st                      -> continues
        //   4: 0.55  n = 4, top 2: ranks 3rd (0.7, 0.6, 0.55)     -> stops
        //   5: 0.65  n = 5, top 2: ranks 2nd (0.7, 0.65)          -> continues
        let policy = SuccessiveHalvingPolicy(minResource: 1, reductionFactor: 2, schedule: PolicySchedule())
        var trials: [TrialProgress] = []
        var decisions: [Bool] = []
        for (number, metric) in [(1, 0.6), (2, 0.5), (3, 0.7), (4, 0.55), (5, 0.65)] {
            let trial = progress(number, [0.3, 0.3, 0.3, metric])
            trials.append(trial)
            decisions.append(policy.shouldStop(trial: trial, at: 4, among: trials) != nil)
        }
        #expect(decisions == [false, true, false, true, false])
        #expect(policy.shouldStop(trial: trials[3], at: 4, among: trials)
            == "successive halving at rung interval 4: 0.5500 ranks 4 of the 5 trials that reached it, and only the top 2 continue (1/reduction_factor 2)")
    }

    @Test func promotesTheTopThirdWithAFactorOfThree() {
        // Rung 3 (min_resource 1, factor 3): six trials, floor(6 / 3) = 2 continue: 0.6 and 0.5.
        let policy = SuccessiveHalvingPolicy(minResource: 1, reductionFactor: 3, schedule: PolicySchedule())
        let trials = (1...6).map { progress($0, [0.5, 0.5, Double($0) / 10]) }
        let continuing = trials.filter { policy.shouldStop(trial: $0, at: 3, among: trials) == nil }.map(\.number)
        #expect(continuing == [5, 6])
    }

    @Test func onEqualMetricsTheEarlierTrialIsPromoted() {
        let policy = SuccessiveHalvingPolicy(minResource: 1, reductionFactor: 2, schedule: PolicySchedule())
        let trials = [progress(1, [0.5]), progress(2, [0.5])]
        #expect(policy.shouldStop(trial: trials[0], at: 1, among: trials) == nil)
        #expect(policy.shouldStop(trial: trials[1], at: 1, among: trials) != nil)
    }

    @Test func intervalsBetweenRungsNeverStop() {
        // A hopeless trial beside a leader, factor 2 from 1: stopped at rungs 1, 2, 4 only.
        let policy = SuccessiveHalvingPolicy(minResource: 1, reductionFactor: 2, schedule: PolicySchedule())
        let trials = [progress(1, Array(repeating: 0.9, count: 7)), progress(2, Array(repeating: 0.1, count: 7))]
        let stoppedAt = (1...7).filter { policy.shouldStop(trial: trials[1], at: $0, among: trials) != nil }
        #expect(stoppedAt == [1, 2, 4])
    }

    @Test func settingsMakeTheSuccessiveHalvingPolicy() throws {
        let settings = EarlyTerminationSettings.successiveHalving(minResource: 2, reductionFactor: 3,
                                                                  schedule: PolicySchedule())
        let policy = try #require(settings.makePolicy() as? SuccessiveHalvingPolicy)
        #expect(policy.minResource == 2 && policy.reductionFactor == 3)
    }
}
