import Testing
@testable import SpoolCore

@Suite struct ClassWeightsTests {
    @Test func inverseFrequencyIsSklearnBalanced() throws {
        let weights = try #require(ClassWeights.weights(classCounts: [10, 30, 60], sampleCount: 100, mode: .inverseFrequency))
        // sklearn compute_class_weight("balanced"): n_samples / (n_classes * count).
        #expect(zip(weights, [100.0 / 30, 100.0 / 90, 100.0 / 180]).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test func squareRootMode() throws {
        let weights = try #require(ClassWeights.weights(classCounts: [10, 30, 60], sampleCount: 100, mode: .squareRoot))
        #expect(abs(weights[0] - (100.0 / 30).squareRoot()) < 1e-12)
        #expect(abs(weights[2] - (100.0 / 180).squareRoot()) < 1e-12)
    }

    @Test func offMeansUnweighted() {
        #expect(ClassWeights.weights(classCounts: [1, 2], sampleCount: 3, mode: .off) == nil)
    }

    @Test func absentClassGetsOne() throws {
        let weights = try #require(ClassWeights.weights(classCounts: [4, 0], sampleCount: 4, mode: .inverseFrequency))
        #expect(weights == [0.5, 1])
    }

    @Test func fromMultilabelRecords() throws {
        let records = [
            DatasetRecord(imageURL: "a", label: .multiple(["x", "y"]), line: 1),
            DatasetRecord(imageURL: "b", label: .multiple(["x"]), line: 2),
            DatasetRecord(imageURL: "c", label: .multiple([]), line: 3),
            DatasetRecord(imageURL: "d", label: .multiple(["x"]), line: 4),
        ]
        let weights = try #require(ClassWeights.weights(records: records, classNames: ["x", "y"], mode: .inverseFrequency))
        let expected: [Double] = [4.0 / 6, 4.0 / 2]  // n_samples / (n_classes * count): x in 3, y in 1
        #expect(weights == expected)
    }
}
