import SpoolCore
import Testing
@testable import SpoolSweep

@Suite struct RandomSamplerTests {
    private let twoBranches = SearchSpace(branches: [
        SamplerFixtures.branch(0, ["learning_rate": .loguniform(min: -9.21, max: -4.61),
                                   "model_name": .choice(["resnet18", "resnet50"])]),
        SamplerFixtures.branch(1, ["learning_rate": .uniform(min: 0.001, max: 0.1),
                                   "momentum": .uniform(min: 0.8, max: 0.99)]),
    ])

    private func sequence(_ sampler: RandomSampler, _ count: Int) -> [Configuration] {
        (0..<count).compactMap { sampler.suggest(index: $0, history: []) }
    }

    @Test func theSameSeedGivesTheSameSequenceAndAnotherSeedAnother() {
        let first = sequence(RandomSampler(space: twoBranches, seed: 42), 20)
        #expect(first.count == 20)
        #expect(first == sequence(RandomSampler(space: twoBranches, seed: 42), 20))
        #expect(first != sequence(RandomSampler(space: twoBranches, seed: 43), 20))
        #expect(Set(first).count == 20)
    }

    @Test func dependsOnlyOnSeedAndIndexSoASweepResumes() {
        let sampler = RandomSampler(space: twoBranches, seed: 7)
        let earlier = sampler.suggest(index: 3, history: [])
        let history = (0..<3).map { index in
            SweepObservation(index: index, configuration: sampler.suggest(index: index, history: [])!,
                             state: .completed, value: Double(index))
        }
        #expect(sampler.suggest(index: 3, history: history) == earlier)
        #expect(sampler.capacity == nil)
    }

    @Test func everyDistributionStaysWithinItsBounds() {
        let sampler = RandomSampler(space: SamplerFixtures.everyDistribution, seed: 1)
        let branch = SamplerFixtures.everyDistribution.branches[0]
        var seen: [String: Set<SettingValue>] = [:]
        for index in 0..<2000 {
            let configuration = sampler.suggest(index: index, history: [])!
            #expect(configuration.branch == 0)
            #expect(Set(configuration.values.keys) == Set(branch.names))
            for (name, distribution) in branch.parameters {
                let problem = SamplerFixtures.problem(configuration.values[name], distribution)
                #expect(problem == nil, "\(name): \(problem ?? "")")
                seen[name, default: []].insert(configuration.values[name]!)
            }
        }
        // Draws cover the discrete ranges.
        #expect(seen["choice"] == ["sgd", "adam", 3])
        #expect(seen["randint"] == [0, 1, 2, 3])
        #expect(seen["quniform"] == Set([8, 16, 24, 32, 40, 48, 56, 64].map { SettingValue.int($0) }))
        #expect(seen["uniform"]!.count > 1000)
    }

    @Test func bothBranchesAreUsed() {
        let branches = sequence(RandomSampler(space: twoBranches, seed: 3), 200).map(\.branch)
        let first = branches.filter { $0 == 0 }.count
        #expect(first > 60 && first < 140)
        #expect(branches.allSatisfy { $0 == 0 || $0 == 1 })
    }

    @Test func anEmptySpaceGivesNothing() {
        #expect(RandomSampler(space: SearchSpace(branches: []), seed: 1).suggest(index: 0, history: []) == nil)
    }
}
