import CSpoolEngine

public enum OptimizerKind: Int32, Sendable {
    case sgd = 0
    case adam = 1
    case adamw = 2
}

/// The memory layout of 4-D tensors during training.
public enum MemoryFormat: Int32, Sendable {
    /// Measure the first steps in both layouts and keep the faster (as cudnn.benchmark chooses kernels).
    case automatic = 0
    case contiguous = 1
    case channelsLast = 2
}

public struct TrainerOptions: Sendable, Equatable {
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
    public var memoryFormat: MemoryFormat = .automatic
    /// Seeds the trainer's own generator, from which the model draws during a step (detection's samplers).
    public var seed: UInt64 = 0
    /// Ultralytics' optimiser schedule (a family's `TrainingSchedule`): parameter groups, warm-up of the biases'
    /// learning rate and of momentum over `warmupIterations` batches, accumulation to `nominalBatchSize` across
    /// epochs, losses summed (see spool_optimizer_schedule); false: one group, `gradAccumulationStep`.
    public var ultralyticsOptimizer = false
    public var warmupIterations = 0
    public var nominalBatchSize = 64
    public var batchSize = 16
    /// > 0: keep an exponential moving average of the weights (YOLOv5: 0.9999).
    public var emaDecay = 0.0

    public init() {}
}

/// Optimiser state and the training step of one model. Keeps the model alive while it exists.
public final class Trainer {
    let handle: OpaquePointer
    public let model: Model
    private var processGroup: ProcessGroup?

    public init(model: Model, options: TrainerOptions) throws(EngineError) {
        var p = spool_trainer_default_params()
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
        p.memory_format = options.memoryFormat.rawValue
        p.seed = options.seed
        p.schedule = Int32((options.ultralyticsOptimizer ? SPOOL_SCHEDULE_ULTRALYTICS : SPOOL_SCHEDULE_PLAIN).rawValue)
        p.warmup_iterations = Int64(options.warmupIterations)
        p.nominal_batch_size = Int64(options.nominalBatchSize)
        p.batch_size = Int64(options.batchSize)
        p.ema_decay = options.emaDecay
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
        /// The sum of the named losses.
        public let loss: Double
        public let images: Int
        public let updated: Bool
        /// Every loss the model returned, by name ("classification"; "loss_classifier", "loss_box_reg", ...).
        public let losses: [String: Double]
    }

    /// Trains on the loader's next batch; `nil` once the epoch has no batch left.
    public func step(_ loader: ImageLoader) throws(EngineError) -> Step? {
        var r = spool_step_result()
        try check(spool_trainer_step(handle, loader.handle, &r), "spool_trainer_step")
        guard r.images > 0 else { return nil }
        var losses: [String: Double] = [:]
        withUnsafeBytes(of: r.loss_names) { names in
            withUnsafeBytes(of: r.loss_values) { values in
                let doubles = values.bindMemory(to: Double.self)
                for i in 0..<Int(r.num_losses) {
                    let slice = names[(i * 32)..<((i + 1) * 32)]
                    losses[String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)] = doubles[i]
                }
            }
        }
        return Step(loss: r.loss, images: Int(r.images), updated: r.updated != 0, losses: losses)
    }

    /// Puts the weight average into the model (`true`) or the training weights back (`false`); returns whether
    /// the trainer keeps an average (without one, nothing changes).
    @discardableResult
    public func useAverage(_ average: Bool) throws(EngineError) -> Bool {
        var has: Int32 = 0
        try check(spool_trainer_use_average(handle, average ? 1 : 0, &has), "spool_trainer_use_average")
        return has != 0
    }

    /// Applies a partial gradient accumulation left at the end of an epoch.
    public func flush() throws(EngineError) {
        try check(spool_trainer_flush(handle), "spool_trainer_flush")
    }

    /// Writes the trainer's whole state (model, optimiser, weight average, pending gradients, counters, random
    /// generators, memory format) to `path`, fsynced and renamed into place. The training weights must be in
    /// the model (`useAverage(false)`).
    public func saveState(to path: String) throws(EngineError) {
        try check(spool_trainer_save_state(handle, path), "spool_trainer_save_state")
    }

    /// Restores a state `saveState` wrote, into a trainer made with the same options over the same model.
    public func loadState(from path: String) throws(EngineError) {
        try check(spool_trainer_load_state(handle, path), "spool_trainer_load_state")
    }

    /// Makes the trainer data-parallel over `group` (DistributedDataParallel's semantics; see ProcessGroup).
    /// Before the first step.
    public func setProcessGroup(_ group: ProcessGroup) throws(EngineError) {
        try check(spool_trainer_set_process_group(handle, group.handle), "spool_trainer_set_process_group")
        processGroup = group
    }

    /// The memory format in use and the measurement behind it ("" until chosen).
    public var memoryFormatNote: String {
        var out: UnsafeMutablePointer<CChar>?
        guard spool_trainer_memory_format(handle, &out) == SPOOL_OK else { return "" }
        return takeString(out)
    }
}

/// What a model predicts over one loader epoch, in the loader's order. Owns the engine's result handle.
public final class Prediction {
    let handle: OpaquePointer
    public let count: Int
    public let task: EngineTask
    let numClasses: Int

    public init(model: Model, loader: ImageLoader, epoch: Int = 0) throws(EngineError) {
        try loader.startEpoch(epoch)
        var out: OpaquePointer?
        try check(spool_predict(model.handle, loader.handle, &out), "spool_predict")
        guard let out else { throw EngineError(status: SPOOL_ERR_INTERNAL, operation: "spool_predict") }
        handle = out
        var n: Int64 = 0
        _ = spool_prediction_count(out, &n)
        count = Int(n)
        task = model.task
        numClasses = model.numClasses
    }

    deinit { spool_prediction_free(handle) }

    /// The mean loss against the loader's targets (classification); nil when the task computes none.
    public var meanLoss: Double? {
        var loss = 0.0
        _ = spool_prediction_loss(handle, &loss)
        return loss.isNaN ? nil : loss
    }

    /// Classification: the image's probabilities (softmax or sigmoid).
    public func scores(image: Int) throws(EngineError) -> [Float] {
        var out = [Float](repeating: 0, count: numClasses)
        let capacity = Int64(numClasses)
        let status = out.withUnsafeMutableBufferPointer { spool_prediction_scores(handle, Int64(image), $0.baseAddress, capacity) }
        try check(status, "spool_prediction_scores")
        return out
    }

    /// One detected object: its box normalised to the image (x1, y1, x2, y2), score and class (from 0).
    public struct Detection: Sendable, Equatable {
        public let box: [Float]
        public let score: Float
        public let label: Int
    }

    /// Detection: the image's detections, by decreasing score, and its size in pixels.
    public func detections(image: Int) throws(EngineError) -> (detections: [Detection], width: Int, height: Int) {
        var n: Int64 = 0
        var w: Int32 = 0, h: Int32 = 0
        try check(spool_prediction_num_detections(handle, Int64(image), &n, &w, &h), "spool_prediction_num_detections")
        var boxes = [Float](repeating: 0, count: Int(n) * 4), scores = [Float](repeating: 0, count: Int(n))
        var labels = [Int32](repeating: 0, count: Int(n))
        let status = boxes.withUnsafeMutableBufferPointer { b in
            scores.withUnsafeMutableBufferPointer { s in
                labels.withUnsafeMutableBufferPointer { l in
                    spool_prediction_detections(handle, Int64(image), b.baseAddress, s.baseAddress, l.baseAddress, n)
                }
            }
        }
        try check(status, "spool_prediction_detections")
        let detections = (0..<Int(n)).map { i in
            Detection(box: Array(boxes[(i * 4)..<(i * 4 + 4)]), score: scores[i], label: Int(labels[i]))
        }
        return (detections, Int(w), Int(h))
    }

    /// Segmentation: a detection's mask pasted into its image (height x width probabilities, row-major).
    public func mask(image: Int, detection: Int) throws(EngineError) -> [Float] {
        var n: Int64 = 0
        var w: Int32 = 0, h: Int32 = 0
        try check(spool_prediction_num_detections(handle, Int64(image), &n, &w, &h), "spool_prediction_num_detections")
        var out = [Float](repeating: 0, count: Int(w) * Int(h))
        let capacity = Int64(out.count)
        let status = out.withUnsafeMutableBufferPointer {
            spool_prediction_mask(handle, Int64(image), Int64(detection), $0.baseAddress, capacity)
        }
        try check(status, "spool_prediction_mask")
        return out
    }

    /// Segmentation: a detection's polygons (its mask above the model's pixel threshold), each x, y, ...
    /// normalised to the image.
    public func polygons(image: Int, detection: Int) throws(EngineError) -> [[Float]] {
        try Polygons.read("spool_prediction_polygons") { points, pointsCapacity, lengths, partsCapacity, numPoints, numParts in
            spool_prediction_polygons(handle, Int64(image), Int64(detection), points, pointsCapacity, lengths, partsCapacity,
                                      numPoints, numParts)
        }
    }

    /// Segmentation: a detection's binary mask as COCO's uncompressed RLE (column-major runs, from zeros).
    public func maskRLE(image: Int, detection: Int) throws(EngineError) -> [UInt32] {
        try RunLengths.read("spool_prediction_mask_rle") { counts, capacity, length in
            spool_prediction_mask_rle(handle, Int64(image), Int64(detection), counts, capacity, length)
        }
    }
}

/// Probabilities and loss of a classifier over one whole loader epoch, in the loader's order.
public struct Evaluation: Sendable {
    /// count x numClasses, row-major: softmax (multiclass) or sigmoid (multilabel).
    public let probabilities: [Float]
    public let count: Int
    public let meanLoss: Double

    public static func run(model: Model, loader: ImageLoader, epoch: Int = 0) throws(EngineError) -> Evaluation {
        let prediction = try Prediction(model: model, loader: loader, epoch: epoch)
        var probabilities: [Float] = []
        probabilities.reserveCapacity(prediction.count * model.numClasses)
        for i in 0..<prediction.count { probabilities += try prediction.scores(image: i) }
        return Evaluation(probabilities: probabilities, count: prediction.count, meanLoss: prediction.meanLoss ?? .nan)
    }
}
