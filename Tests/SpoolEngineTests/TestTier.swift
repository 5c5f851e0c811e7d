import Foundation
import Testing

/// The suite's two tiers (docs/testing.md). The fast tier is what CI runs (`scripts/test.sh`); a suite whose name
/// ends in `LongTests` carries `.longTier` and runs only under `scripts/test.sh --long` (or `--all`): learning to
/// held-out thresholds at real sizes, Slurm's real time limits, soak loops.
extension Trait where Self == ConditionTrait {
    static var longTier: Self {
        .enabled(if: ["long", "all"].contains(ProcessInfo.processInfo.environment["SPOOL_TEST_TIER"] ?? ""),
                 "the long tier: scripts/test.sh --long")
    }
}
