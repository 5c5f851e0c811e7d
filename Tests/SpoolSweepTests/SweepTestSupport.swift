import SpoolCore
@testable import SpoolSweep

/// Small builders shared by the sampler and policy scenarios.
enum SweepFixtures {
    static func progress(_ number: Int, _ metrics: [Double], finished: Bool = false) -> TrialProgress {
        TrialProgress(number: number, metrics: metrics, isFinished: finished)
    }
}
