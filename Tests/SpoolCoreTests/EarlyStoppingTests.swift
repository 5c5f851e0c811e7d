import Testing
@testable import SpoolCore

@Suite struct EarlyStoppingTests {
    @Test func stopsAfterPatienceOnceTheDelayHasPassed() {
        var stopping = EarlyStopping(patience: 2, delay: 3)
        let decisions = [0.5, 0.4, 0.3, 0.45, 0.2].map { stopping.record($0) }
        // Evaluations 2 and 3 fall within the delay; 4 and 5 count.
        #expect(decisions == [.improved, .noImprovement, .noImprovement, .noImprovement, .stop])
        #expect(stopping.best == 0.5)
    }

    @Test func improvementResetsPatience() {
        var stopping = EarlyStopping(patience: 2, delay: 1)
        let decisions = [0.1, 0.1, 0.2, 0.2, 0.3, 0.25, 0.3].map { stopping.record($0) }
        #expect(decisions == [.improved, .noImprovement, .improved, .noImprovement, .improved, .noImprovement, .stop])
    }

    @Test func improvementDuringTheDelayIsRemembered() {
        var stopping = EarlyStopping(patience: 1, delay: 2)
        #expect(stopping.record(0.9) == .improved)
        #expect(stopping.record(0.5) == .noImprovement)
        // The best is still 0.9: 0.8 is no improvement, and the delay is over.
        #expect(stopping.record(0.8) == .stop)
    }

    @Test func disabledNeverStops() {
        var stopping = EarlyStopping(patience: 1, delay: 1, enabled: false)
        let decisions = [0.5, 0.1, 0.1, 0.1, 0.6].map { stopping.record($0) }
        #expect(decisions == [.improved, .noImprovement, .noImprovement, .noImprovement, .improved])
    }

    @Test func nanNeverImproves() {
        var stopping = EarlyStopping(patience: 1, delay: 1)
        #expect(stopping.record(.nan) == .noImprovement)
        #expect(stopping.best == nil)
        #expect(stopping.record(0.1) == .improved)
        #expect(stopping.record(.nan) == .stop)
    }

    @Test func azureDefaultsStopAtTheTenthFlatEvaluation() {
        var stopping = EarlyStopping(TrainingParameters.defaults(task: .imageClassification))
        #expect(stopping.patience == 5 && stopping.delay == 5 && stopping.enabled)
        var decisions = [stopping.record(0.7)]
        for _ in 0..<9 { decisions.append(stopping.record(0.7)) }
        #expect(decisions.firstIndex(of: .stop) == 9)
    }
}
