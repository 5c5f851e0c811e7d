import Foundation
import Testing
@testable import SpoolCore

@Suite struct LearningRateScheduleTests {
    // lr 0.1, 10 epochs of 10 iterations, 2 warmup epochs: 20 warmup iterations, 80 cosine iterations.
    let cosine = LearningRateSchedule(
        baseLearningRate: 0.1, numberOfEpochs: 10, kind: .warmupCosine(warmupEpochs: 2, cycles: 0.45))

    @Test func warmupIsLinearFromZero() {
        #expect(cosine.learningRate(iteration: 0, itersPerEpoch: 10) == 0)
        #expect(abs(cosine.learningRate(iteration: 10, itersPerEpoch: 10) - 0.05) < 1e-15)
        #expect(abs(cosine.learningRate(iteration: 19, itersPerEpoch: 10) - 0.095) < 1e-15)
    }

    @Test func cosineAfterWarmup() {
        // progress 0: the full rate.
        #expect(abs(cosine.learningRate(iteration: 20, itersPerEpoch: 10) - 0.1) < 1e-15)
        // progress 0.5: 0.1 * 0.5 * (1 + cos(0.45 pi)) = 0.05 * 1.156434465040231
        #expect(abs(cosine.learningRate(iteration: 60, itersPerEpoch: 10) - 0.05782172325201155) < 1e-12)
        // progress 1: 0.1 * 0.5 * (1 + cos(0.9 pi)) = 0.05 * 0.04894348370484647
        #expect(abs(cosine.learningRate(iteration: 100, itersPerEpoch: 10) - 0.0024471741852423235) < 1e-12)
    }

    @Test func fullCycleReachesZeroAndComesBack() {
        let schedule = LearningRateSchedule(baseLearningRate: 1, numberOfEpochs: 4, kind: .warmupCosine(warmupEpochs: 0, cycles: 1))
        #expect(schedule.learningRate(iteration: 0, itersPerEpoch: 1) == 1)
        #expect(abs(schedule.learningRate(iteration: 1, itersPerEpoch: 1) - 0.5) < 1e-12)
        #expect(abs(schedule.learningRate(iteration: 2, itersPerEpoch: 1)) < 1e-12)
        #expect(abs(schedule.learningRate(iteration: 3, itersPerEpoch: 1) - 0.5) < 1e-12)
    }

    @Test func stepDecaysOncePerStepSizeEpochs() {
        let schedule = LearningRateSchedule(baseLearningRate: 0.1, numberOfEpochs: 10, kind: .step(gamma: 0.5, stepSize: 3))
        #expect(schedule.learningRate(iteration: 0, itersPerEpoch: 10) == 0.1)
        #expect(schedule.learningRate(iteration: 29, itersPerEpoch: 10) == 0.1)
        #expect(schedule.learningRate(iteration: 30, itersPerEpoch: 10) == 0.05)
        #expect(schedule.learningRate(iteration: 65, itersPerEpoch: 10) == 0.025)
        #expect(abs(schedule.learningRate(iteration: 99, itersPerEpoch: 10) - 0.0125) < 1e-15)
    }

    @Test func builtFromTrainingParameters() throws {
        let parameters = try TrainingParameters.resolve(task: .imageClassification, values: [
            "model_name": "resnet18", "lr_scheduler": "step", "step_lr_gamma": 0.1, "step_lr_step_size": 2,
        ])
        let schedule = LearningRateSchedule(parameters)
        #expect(schedule.kind == .step(gamma: 0.1, stepSize: 2))
        #expect(schedule.baseLearningRate == 0.01)
        #expect(abs(schedule.learningRate(iteration: 4, itersPerEpoch: 2) - 0.001) < 1e-15)
        let defaults = LearningRateSchedule(TrainingParameters.defaults(task: .imageClassification))
        #expect(defaults.kind == .warmupCosine(warmupEpochs: 2, cycles: 0.45))
        #expect(defaults.numberOfEpochs == 15)
    }
}
