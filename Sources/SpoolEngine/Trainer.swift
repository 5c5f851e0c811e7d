import CSpoolEngine

/// What the loss and decisions are: one class per image, or any number of labels.
public enum TaskKind: Int32, Sendable {
    case multiclass = 0
    case multilabel = 1
}

public enum OptimizerKind: Int32, Sendable {
    case sgd = 0
    case adam = 1
    case adamw = 2
}

public struct TrainerOptions: Sendable, Equatable {
    public var task: TaskKind = .multiclass
    public var optimizer: OptimizerKind = .sgd
    public var learningRate = 0.01
    public var momentum = 0.9
    public var weightDecay = 1e-4
    public var nesterov = true
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var amsgrad = false
    public var gradAccumulationStep = 1
    /// One loss weight per class (`weighted_loss`); empty for none.
    public var classWeights: [Float] = []

    public init() {}
}

/// Optimiser state and the training step of one model. Keeps the model alive while it exists.
public final class Trainer {
    let handle: OpaquePointer
    public let model: Model

    public init(model: Model, options: TrainerOptions) throws(EngineError) {
        var p = spool_trainer_default_params()
        p.task = options.task.rawValue
        p.optimizer = options.optimizer.rawValue
        p.learning_rate = options.learningRate
        p.momentum = options.momentum
        p.weight_decay = options.weightDecay
        p.nesterov = options.nesterov ? 1 : 0
        p.beta1 = options.beta1
        p.beta2 = options.beta2
        p.amsgrad = options.amsgrad ? 1 : 0
        p.grad_accumulation_step = Int32(clamping: options.gradAccumulationStep)
        p.num_class_weights = Int32(options.classWeights.count)
        var out: OpaquePointer?
        let status = options.classWeights.withUnsafeBufferPointer { weights in
            p.class_weights = weights.isEmpty ? nil : weights.baseAddress
            return spool_trainer_create(model.handle, &p, &out)
        }
        try check(status, "spool_trainer_create")
        guard let out else { throw EngineError(status: SPOOL_ERR_INTERNAL, operation: "spool_trainer_create") }
        self.handle = out
        self.model = model
    }

    deinit { spool_trainer_free(handle) }

    public func setLearningRate(_ lr: Double) throws(EngineError) {
        try check(spool_trainer_set_learning_rate(handle, lr), "spool_trainer_set_learning_rate")
    }

    public struct Step: Sendable, Equatable {
        public let loss: Double
        public let images: Int
        public let updated: Bool
    }

    /// Trains on the loader's next batch; `nil` once the epoch has no batch left.
    public func step(_ loader: ImageLoader) throws(EngineError) -> Step? {
        var r = spool_step_result()
        try check(spool_trainer_step(handle, loader.handle, &r), "spool_trainer_step")
        return r.images == 0 ? nil : Step(loss: r.loss, images: Int(r.images), updated: r.updated != 0)
    }

    /// Applies a partial gradient accumulation left at the end of an epoch.
    public func flush() throws(EngineError) {
        try check(spool_trainer_flush(handle), "spool_trainer_flush")
    }
}

/// Probabilities and loss of a model over one whole loader epoch, in the loader's order.
public struct Evaluation: Sendable {
    /// count x numClasses, row-major: softmax (multiclass) or sigmoid (multilabel).
    public let probabilities: [Float]
    public let count: Int
    public let meanLoss: Double

    public static func run(model: Model, loader: ImageLoader, task: TaskKind, epoch: Int = 0) throws(EngineError) -> Evaluation {
        try loader.startEpoch(epoch)
        var probs = [Float](repeating: 0, count: loader.count * model.numClasses)
        var count: Int64 = 0
        var loss = 0.0
        let capacity = Int64(probs.count)
        let status = probs.withUnsafeMutableBufferPointer {
            spool_evaluate(model.handle, loader.handle, task.rawValue, $0.baseAddress, capacity, &count, &loss)
        }
        try check(status, "spool_evaluate")
        return Evaluation(probabilities: Array(probs.prefix(Int(count) * model.numClasses)), count: Int(count), meanLoss: loss)
    }
}
