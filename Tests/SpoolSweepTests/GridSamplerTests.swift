import SpoolCore
import Testing
@testable import SpoolSweep

@Suite struct GridSamplerTests {
    private let space = SearchSpace(branches: [
        SamplerFixtures.branch(0, ["model_name": .choice(["resnet18", "resnet50", "vitb16r224"]),
                                   "batch_size": .choice([8, 16])]),
        SamplerFixtures.branch(1, ["optimizer": .choice(["sgd", "adam"])]),
    ])

    @Test func enumeratesTheProductOfEachBranchsChoicesThenStops() throws {
        let grid = try GridSampler(space: space)
        #expect(grid.capacity == 8)
        let configurations = (0..<8).compactMap { grid.suggest(index: $0, history: []) }
        #expect(configurations.count == 8)
        #expect(Set(configurations).count == 8)
        #expect(grid.suggest(index: 8, history: []) == nil)
        #expect(grid.suggest(index: 100, history: []) == nil)
        // Branches in order; names sorted (batch_size, model_name) with the last varying fastest.
        #expect(configurations[0] == Configuration(branch: 0, values: ["batch_size": 8, "model_name": "resnet18"]))
        #expect(configurations[1] == Configuration(branch: 0, values: ["batch_size": 8, "model_name": "resnet50"]))
        #expect(configurations[3] == Configuration(branch: 0, values: ["batch_size": 16, "model_name": "resnet18"]))
        #expect(configurations[6] == Configuration(branch: 1, values: ["optimizer": "sgd"]))
        #expect(configurations[7] == Configuration(branch: 1, values: ["optimizer": "adam"]))
    }

    @Test func isTheSameOrderEveryTimeWhateverTheHistory() throws {
        let first = try GridSampler(space: space), second = try GridSampler(space: space)
        let history = [SweepObservation(index: 0, configuration: Configuration(branch: 1, values: ["optimizer": "sgd"]),
                                        state: .completed, value: 0.9)]
        for index in 0..<8 {
            #expect(first.suggest(index: index, history: []) == second.suggest(index: index, history: history))
        }
    }

    @Test func refusesAContinuousDistributionNamingTheBranchAndKey() {
        let continuous = SearchSpace(branches: [SamplerFixtures.branch(0, [
            "learning_rate": .uniform(min: 0.0001, max: 0.01), "model_name": .choice(["resnet18"]),
        ])])
        #expect(throws: SamplerError("grid sampling takes choice only; search_space[0].learning_rate is "
                + "uniform(0.0001, 0.01); use random or bayesian, or list the values with choice")) {
            try GridSampler(space: continuous)
        }
        let secondBranch = SearchSpace(branches: space.branches + [SamplerFixtures.branch(2, ["epochs": .randint(upper: 5)])])
        #expect(throws: SamplerError("grid sampling takes choice only; search_space[2].epochs is randint(5); "
                + "use random or bayesian, or list the values with choice")) {
            try GridSampler(space: secondBranch)
        }
    }

    @Test func aBranchWithoutParametersIsOneConfiguration() throws {
        let grid = try GridSampler(space: SearchSpace(branches: [SamplerFixtures.branch(0, [:])]))
        #expect(grid.capacity == 1)
        #expect(grid.suggest(index: 0, history: []) == Configuration(branch: 0, values: [:]))
        #expect(grid.suggest(index: 1, history: []) == nil)
    }
}
