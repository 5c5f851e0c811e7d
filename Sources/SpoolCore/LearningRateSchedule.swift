import Foundation

/// The learning rate at each optimizer iteration, as Azure's `lr_scheduler` options define it.
public struct LearningRateSchedule: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Linear warmup from 0 over `warmupEpochs`, then a cosine over the remaining iterations:
        /// `0.5 * (1 + cos(pi * 2 * cycles * progress))`, floored at 0 (Hugging Face's
        /// `get_cosine_schedule_with_warmup`, which Azure's `WarmupCosineSchedule` is).
        case warmupCosine(warmupEpochs: Int, cycles: Double)
        /// `gamma ^ floor(epoch / stepSize)`, stepped once per epoch (PyTorch's `StepLR`).
        case step(gamma: Double, stepSize: Int)
    }

    public var baseLearningRate: Double
    public var numberOfEpochs: Int
    public var kind: Kind

    public init(baseLearningRate: Double, numberOfEpochs: Int, kind: Kind) {
        self.baseLearningRate = baseLearningRate
        self.numberOfEpochs = numberOfEpochs
        self.kind = kind
    }

    /// The schedule a trial's parameters ask for.
    public init(_ parameters: TrainingParameters) {
        let kind: Kind = switch parameters.lrScheduler {
        case .warmupCosine:
            .warmupCosine(warmupEpochs: parameters.warmupCosineLRWarmupEpochs, cycles: parameters.warmupCosineLRCycles)
        case .step:
            .step(gamma: parameters.stepLRGamma, stepSize: parameters.stepLRStepSize)
        }
        self.init(baseLearningRate: parameters.learningRate, numberOfEpochs: parameters.numberOfEpochs, kind: kind)
    }

    /// The learning rate for the 0-based optimizer `iteration` (counted over all epochs) when an epoch
    /// has `itersPerEpoch` iterations.
    public func learningRate(iteration: Int, itersPerEpoch: Int) -> Double {
        let perEpoch = max(1, itersPerEpoch)
        switch kind {
        case let .warmupCosine(warmupEpochs, cycles):
            let warmupSteps = warmupEpochs * perEpoch
            let totalSteps = numberOfEpochs * perEpoch
            if iteration < warmupSteps {
                return baseLearningRate * Double(iteration) / Double(max(1, warmupSteps))
            }
            let progress = Double(iteration - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return baseLearningRate * max(0, 0.5 * (1 + cos(Double.pi * cycles * 2 * progress)))
        case let .step(gamma, stepSize):
            let epoch = iteration / perEpoch
            return baseLearningRate * pow(gamma, Double(epoch / max(1, stepSize)))
        }
    }
}
