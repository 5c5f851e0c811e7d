import Foundation
import SpoolCore
import SpoolStore
import SpoolSweep
import Testing
@testable import SpoolRunner

@Suite struct SweepStateTests {
    static func plan(_ yaml: String) throws -> SweepPlan {
        try SweepPlan(settings: JobSettings.parse("task: image_classification\n" + yaml), seed: 1)
    }

    static func trial(_ number: Int, index: Int, _ state: JobState, reason: String = "finished", lr: Double, best: Double? = nil) -> Trial {
        Trial(id: Int64(number + 1), jobID: "j", number: number, state: state, reason: reason,
              hyperparametersJSON: #"{"learning_rate":\#(lr)}"#, startedAt: nil, finishedAt: nil, epochsDone: 1,
              bestMetricValue: best, pid: nil, device: "cpu", branch: 0, configurationIndex: index, retryOf: nil)
    }

    @Test func aGridRunsItsProductThenStops() throws {
        var state = SweepState(plan: try Self.plan("""
            limits: {max_trials: 10}
            sweep: {sampling_algorithm: grid}
            search_space: [{learning_rate: "choice(0.1, 0.01)", optimizer: "choice('sgd', 'adam')"}]
            """))
        var seen: [String] = []
        while let launch = state.next() {
            state.started(launch, number: seen.count)
            seen.append(launch.configuration.summary)
        }
        #expect(seen.count == 4 && Set(seen).count == 4)
        #expect(!state.hasMoreToLaunch)
    }

    /// After a restart, finished trials count and an interrupted one runs again under its own index.
    @Test func resumingKeepsFinishedTrialsAndRerunsInterruptedOnes() throws {
        let plan = try Self.plan("""
            limits: {max_trials: 4}
            sweep: {sampling_algorithm: grid}
            search_space: [{learning_rate: "choice(0.1, 0.01, 0.001, 0.0001)"}]
            """)
        var state = SweepState(plan: plan)
        state.resume(from: [
            Self.trial(0, index: 0, .completed, lr: 0.1, best: 0.7),
            Self.trial(1, index: 1, .cancelled, reason: "interrupted: the daemon stopped", lr: 0.01),
            Self.trial(2, index: 2, .cancelled, reason: "early termination: bandit ...", lr: 0.001, best: 0.4),
        ], epochs: { _ in [] })
        #expect(state.launched == 2)
        #expect(state.nextNumber == 3)
        let next = state.next()
        let rerun = try #require(next)
        #expect(rerun.index == 1 && rerun.configuration.values["learning_rate"] == 0.01)
        state.started(rerun, number: 3)
        let following = state.next()
        let fresh = try #require(following)
        #expect(fresh.index == 3 && fresh.configuration.values["learning_rate"] == 0.0001)
        state.started(fresh, number: 4)
        #expect(state.next() == nil)
        #expect(state.history.map(\.state) == [.completed, .running, .stopped, .running])
    }
}
