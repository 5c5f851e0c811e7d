import SpoolCore
import Testing
@testable import SpoolSweep

@Suite struct BanditPolicyTests {
    private func progress(_ number: Int, _ metrics: [Double]) -> TrialProgress {
        SweepFixtures.progress(number, metrics)
    }

    @Test func workedExampleStopsBelowTheBestOverOnePlusSlackFactor() {
        // best 0.8, slack_factor 0.2: threshold 0.8 / 1.2 = 0.6667.
        let policy = BanditPolicy(slackFactor: 0.2, slackAmount: nil, schedule: PolicySchedule())
        let leader = progress(1, [0.8])
        let low = progress(2, [0.66]), close = progress(3, [0.67])
        let trials = [leader, low, close]
        #expect(policy.shouldStop(trial: low, at: 1, among: trials)
            == "bandit policy at interval 1: best so far 0.6600 is below 0.6667 (the best trial's 0.8000 / (1 + slack_factor 0.2))")
        #expect(policy.shouldStop(trial: close, at: 1, among: trials) == nil)
        #expect(policy.shouldStop(trial: leader, at: 1, among: trials) == nil)
    }

    @Test func slackAmountStopsBelowTheBestMinusTheAmount() {
        // best 0.8, slack_amount 0.1: threshold 0.7.
        let policy = BanditPolicy(slackFactor: nil, slackAmount: 0.1, schedule: PolicySchedule())
        let leader = progress(1, [0.8])
        let low = progress(2, [0.69]), close = progress(3, [0.71])
        let trials = [leader, low, close]
        #expect(policy.shouldStop(trial: low, at: 1, among: trials)
            == "bandit policy at interval 1: best so far 0.6900 is below 0.7000 (the best trial's 0.8000 - slack_amount 0.1)")
        #expect(policy.shouldStop(trial: close, at: 1, among: trials) == nil)
    }

    @Test func appliesOnlyAtMultiplesOfTheIntervalFromTheDelayOn() {
        // evaluation_interval 2, delay_evaluation 5: intervals 6 and 8 of 1...8.
        let policy = BanditPolicy(slackFactor: 0.1, slackAmount: nil,
                                  schedule: PolicySchedule(evaluationInterval: 2, delayEvaluation: 5))
        let leader = progress(1, Array(repeating: 0.9, count: 8))
        let hopeless = progress(2, Array(repeating: 0.1, count: 8))
        let stoppedAt = (1...8).filter { interval in
            let trials = [leader, hopeless].map { progress($0.number, Array($0.metrics.prefix(interval))) }
            return policy.shouldStop(trial: trials[1], at: interval, among: trials) != nil
        }
        #expect(stoppedAt == [6, 8])
        // The policy itself would have stopped it at any interval.
        #expect(policy.evaluate(trial: hopeless, at: 2, among: [leader, hopeless]) != nil)
    }

    @Test func theReferenceIsTheBestReportAtThatInterval() {
        // At interval 6 the reports are 0.5, 0.7, 0.56, 0.6: reference 0.7, threshold 0.7 / 1.2 = 0.5833.
        // Trial 1 peaked at 0.9 at interval 1 and trial 2 reaches 0.95 at interval 7, but neither is a
        // report at interval 6: with 0.9 as reference trial 2 (best 0.7) would fall below 0.75, and with
        // 0.95 trial 4 (best 0.6) would fall below 0.7917.
        let policy = BanditPolicy(slackFactor: 0.2, slackAmount: nil, schedule: PolicySchedule())
        let trials = [
            progress(1, [0.9, 0.5, 0.5, 0.5, 0.5, 0.5]),
            progress(2, [0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.95, 0.95]),
            progress(3, [0.2, 0.3, 0.4, 0.5, 0.55, 0.56]),
            progress(4, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
        ]
        let stopped = trials.filter { policy.shouldStop(trial: $0, at: 6, among: trials) != nil }.map(\.number)
        #expect(stopped == [3])
        // Trial 1's best so far (0.9, at interval 1) keeps it in, though its 0.5 at 6 is lower.
        #expect(policy.shouldStop(trial: trials[0], at: 6, among: trials) == nil)
    }

    @Test func theFirstTrialToReachAnIntervalIsItsOwnReference() {
        // Trial 1 reports interval 6 first: the best at 6 is its own 0.4. Trial 2 is ahead at 5 only.
        let policy = BanditPolicy(slackFactor: 0.1, slackAmount: nil, schedule: PolicySchedule())
        let trials = [progress(1, [0.4, 0.4, 0.4, 0.4, 0.4, 0.4]), progress(2, [0.9, 0.9, 0.9, 0.9, 0.9])]
        #expect(policy.shouldStop(trial: trials[0], at: 6, among: trials) == nil)
        #expect(policy.shouldStop(trial: trials[0], at: 5, among: trials) != nil)
    }

    @Test func aDivergedTrialIsJudgedByItsRealReports() {
        // NaN is the worst value: trial 2's best is 0.5 (< 0.8 / 1.2), trial 3 has nothing but NaN.
        let policy = BanditPolicy(slackFactor: 0.2, slackAmount: nil, schedule: PolicySchedule())
        let trials = [progress(1, [0.8, 0.8]), progress(2, [0.5, .nan]), progress(3, [.nan, .nan])]
        #expect(policy.shouldStop(trial: trials[1], at: 2, among: trials) != nil)
        #expect(policy.shouldStop(trial: trials[2], at: 2, among: trials) != nil)
        #expect(policy.shouldStop(trial: trials[0], at: 2, among: trials) == nil)
    }

    @Test func settingsMakeTheBanditPolicy() throws {
        let schedule = PolicySchedule(evaluationInterval: 1, delayEvaluation: 5)
        let policy = EarlyTerminationSettings.bandit(slackFactor: nil, slackAmount: 0.05, schedule: schedule).makePolicy()
        let bandit = try #require(policy as? BanditPolicy)
        #expect(bandit.slack == .amount(0.05))
        #expect(bandit.schedule == schedule)
    }
}
