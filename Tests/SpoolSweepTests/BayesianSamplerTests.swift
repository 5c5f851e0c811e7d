import SpoolCore
import Testing
@testable import SpoolSweep

@Suite struct BayesianSamplerTests {
    /// A finished history of `count` trials of `sampler` on the synthetic objective.
    private func history(_ sampler: some SweepSampler, _ count: Int) -> [SweepObservation] {
        var history: [SweepObservation] = []
        for index in 0..<count {
            let configuration = sampler.suggest(index: index, history: history)!
            history.append(SweepObservation(index: index, configuration: configuration, state: .completed,
                                            value: SamplerFixtures.objective(configuration)))
        }
        return history
    }

    @Test func theStartupTrialsAreRandomSamplersDraws() {
        let space = SamplerFixtures.objectiveSpace
        let bayesian = BayesianSampler(space: space, seed: 11, startupTrials: 5)
        let random = RandomSampler(space: space, seed: 11)
        let finished = history(bayesian, 5)
        #expect(finished.map(\.configuration) == (0..<5).map { random.suggest(index: $0, history: [])! })
        // The sixth is modelled, no longer the random draw.
        #expect(bayesian.suggest(index: 5, history: finished) != random.suggest(index: 5, history: []))
    }

    @Test func theSameSeedAndHistoryGiveTheSameSuggestion() {
        let space = SamplerFixtures.objectiveSpace
        let finished = history(BayesianSampler(space: space, seed: 5), 12)
        let a = BayesianSampler(space: space, seed: 5).suggest(index: 12, history: finished)
        let b = BayesianSampler(space: space, seed: 5).suggest(index: 12, history: finished)
        #expect(a != nil && a == b)
        // The order in which the history is handed over does not matter.
        #expect(BayesianSampler(space: space, seed: 5).suggest(index: 12, history: finished.reversed()) == a)
        #expect(BayesianSampler(space: space, seed: 6).suggest(index: 12, history: finished) != a)
    }

    @Test func findsABetterOptimumThanRandomOnASyntheticObjective() {
        let space = SamplerFixtures.objectiveSpace
        let seeds: [UInt64] = Array(1...10)
        let bayesian = seeds.map { SamplerFixtures.bestValue(BayesianSampler(space: space, seed: $0), trials: 30) }
        let random = seeds.map { SamplerFixtures.bestValue(RandomSampler(space: space, seed: $0), trials: 30) }
        let bayesianMean = bayesian.reduce(0, +) / Double(seeds.count)
        let randomMean = random.reduce(0, +) / Double(seeds.count)
        print("best of 30 trials, mean over 10 seeds (optimum 0.1): bayesian \(bayesianMean), random \(randomMean)")
        #expect(bayesianMean > randomMean)
    }

    @Test func concurrentSuggestionsDoNotRepeatAnExistingConfiguration() {
        // 3 x 2 = 6 configurations: collisions are likely unless the sampler avoids them.
        let space = SearchSpace(branches: [SamplerFixtures.branch(0, [
            "model_name": .choice(["resnet18", "resnet50", "vitb16r224"]), "batch_size": .choice([8, 16]),
        ])])
        for seed in UInt64(1)...20 {
            let sampler = BayesianSampler(space: space, seed: seed, startupTrials: 2)
            // Two finished trials, then four suggested while all earlier ones still run.
            var history: [SweepObservation] = []
            for index in 0..<6 {
                let configuration = sampler.suggest(index: index, history: history)!
                #expect(!history.map(\.configuration).contains(configuration), "seed \(seed) index \(index)")
                let finished = index < 2
                history.append(SweepObservation(index: index, configuration: configuration,
                                                state: finished ? .completed : .running,
                                                value: finished ? Double(index) : nil))
            }
            #expect(Set(history.map(\.configuration)).count == 6)
            // The space is exhausted: a suggestion still comes (a repeat), never nil.
            #expect(sampler.suggest(index: 6, history: history) != nil)
        }
    }

    @Test func runningAndFailedTrialsPushSuggestionsAway() {
        // The good trials sit at 4.8 and 5.2: suggestions gather around 5, unless trials already run
        // (or failed) there, which count as bad (the constant liar) and send the next suggestions elsewhere.
        let space = SearchSpace(branches: [SamplerFixtures.branch(0, ["x": .uniform(min: 0, max: 10)])])
        func observation(_ index: Int, _ x: Double, _ state: SweepObservation.State, _ value: Double?) -> SweepObservation {
            SweepObservation(index: index, configuration: Configuration(branch: 0, values: ["x": .double(x)]),
                             state: state, value: value)
        }
        let finished = [(4.8, 1.0), (5.2, 0.9), (0, 0), (1, 0), (2, 0), (8, 0), (9, 0), (10, 0)].enumerated().map {
            observation($0.offset, $0.element.0, .completed, $0.element.1)
        }
        let crowd = [4.9, 5.0, 5.1, 4.7, 5.3].enumerated().map { observation(8 + $0.offset, $0.element, .running, nil) }
        let failed = crowd.map { observation($0.index, $0.configuration.values["x"]!.coercedDouble!, .failed, nil) }
        func meanDistance(_ history: [SweepObservation]) -> Double {
            let seeds = UInt64(1)...20
            return seeds.map { seed in
                let x = BayesianSampler(space: space, seed: seed).suggest(index: history.count, history: history)!
                return abs(x.values["x"]!.coercedDouble! - 5)
            }.reduce(0, +) / Double(seeds.count)
        }
        let alone = meanDistance(finished)
        #expect(alone < 1)
        #expect(meanDistance(finished + crowd) > alone * 1.5)
        #expect(meanDistance(finished + failed) > alone * 1.5)
    }

    @Test func everyDistributionStaysWithinItsBounds() {
        let space = SamplerFixtures.everyDistribution
        let sampler = BayesianSampler(space: space, seed: 9, startupTrials: 3)
        var history: [SweepObservation] = []
        for index in 0..<25 {
            let configuration = sampler.suggest(index: index, history: history)!
            for (name, distribution) in space.branches[0].parameters {
                let problem = SamplerFixtures.problem(configuration.values[name], distribution)
                #expect(problem == nil, "index \(index) \(name): \(problem ?? "")")
            }
            // Higher is better for larger uniform and smaller normal.
            let value = configuration.values["uniform"]!.coercedDouble! - 0.01 * configuration.values["normal"]!.coercedDouble!
            history.append(SweepObservation(index: index, configuration: configuration,
                                            state: index % 5 == 4 ? .failed : .completed, value: value))
        }
    }

    @Test func branchesAreModelledAsACategoricalParameter() {
        // Branch 1 always scores higher: after the start-up, most suggestions should pick it.
        let space = SearchSpace(branches: [
            SamplerFixtures.branch(0, ["x": .uniform(min: 0, max: 1)]),
            SamplerFixtures.branch(1, ["y": .loguniform(min: -5, max: 0)]),
        ])
        let sampler = BayesianSampler(space: space, seed: 4)
        let history = (0..<30).reduce(into: [SweepObservation]()) { history, index in
            let configuration = sampler.suggest(index: index, history: history)!
            history.append(SweepObservation(index: index, configuration: configuration, state: .completed,
                                            value: configuration.branch == 1 ? 1 : 0))
        }
        let modelled = history.dropFirst(5)
        #expect(modelled.filter { $0.configuration.branch == 1 }.count > modelled.count / 2)
    }
}
