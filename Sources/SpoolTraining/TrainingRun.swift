import Foundation
import Logging
import SpoolCore
import SpoolEngine

/// Where a run writes and how it runs, beside its hyperparameters.
public struct RunOptions: Sendable {
    /// Receives `model/` (weights + model.json), `metrics.json`, checkpoints and the log.
    public var outputDirectory: URL
    public var device = "cpu"
    public var seed: UInt64 = 0
    /// libtorch intra-op threads; nil uses every core.
    public var threads: Int?
    /// Background decode threads for the loaders.
    public var loaderWorkers = 2
    /// Folders searched for `<model_name>.safetensors` (or the reference's name) when the settings name no
    /// `pretrained_weights`.
    public var weightsSearchPaths: [URL] = []
    /// Relative `pretrained_weights` paths resolve against this folder (the bundle).
    public var baseDirectory: URL?
    /// Report a step line every this many steps (and always the last of an epoch).
    public var progressEvery = 10
    /// The memory layout during training (measured by default).
    public var memoryFormat: MemoryFormat = .automatic
    /// This process's place in a data-parallel run (`spool-trainer train --nproc`); nil: a run of its own.
    public var dataParallel: DataParallel?
    /// Asked after every step and at the end of every epoch: true stops the run there (`TrainingStopped`); it
    /// resumes from the end of its last whole epoch. A data-parallel run stops when any of its processes is asked.
    public var stopRequested: (@Sendable () -> Bool)?
    /// Whether the run continues from a resume checkpoint of `outputDirectory` (`checkpoints/resume/`).
    public var resume: ResumeMode = .never

    public enum ResumeMode: Sendable, Equatable {
        /// Start from the beginning (the folder holds no checkpoint of this run).
        case never
        /// Continue from the newest intact checkpoint; an error when there is none.
        case required
        /// Continue from the newest intact checkpoint when there is one, else start (a trial the daemon or Slurm
        /// starts again).
        case ifAny
    }

    public init(outputDirectory: URL) {
        self.outputDirectory = outputDirectory
    }
}

/// One process of a data-parallel run: `worldSize` processes train on their share of every batch (the whole
/// batch is training_batch_size) and average their gradients, with DistributedDataParallel's semantics; rank 0
/// evaluates and writes every output, and decides early stopping for all. Its device is the run's.
public typealias DataParallel = ProcessGroup.Options

/// A run that stopped when asked (`RunOptions.stopRequested`). It resumes from the end of its last whole epoch
/// (`resumesAfter`): the steps of an epoch in flight are trained again.
public struct TrainingStopped: Error, CustomStringConvertible {
    public let epoch: Int
    public let step: Int
    /// The resume checkpoint it continues from (rank 0), nil before the first epoch ended.
    public let checkpoint: URL?
    /// The last whole epoch, which a resume continues after (0: none).
    public let resumesAfter: Int
    /// The epoch of the best model so far (in model/), if any evaluation ran.
    public let bestEpoch: Int?

    public var description: String {
        "stopped when asked at epoch \(epoch), step \(step)"
            + (checkpoint.map { "; --resume continues after epoch \(resumesAfter) (\($0.path))" } ?? "; no epoch had ended: a resume starts over")
            + (bestEpoch.map { "; the best model so far (epoch \($0)) is in model/" } ?? "; no evaluation had run yet")
    }
}

/// `metrics.json`, as a run returns it.
public typealias TrainingResult = MetricsDocument
/// A progress report of a run.
public typealias TrainingProgress = ProgressEvent

/// One training run of one configuration: the loop of section 5, on the engine.
///
/// Swift holds the policy (schedules, early stopping, checkpoints, metrics); the engine holds the model,
/// the loaders and the optimiser step.
public final class TrainingRun {
    public let task: ImageTask
    public let parameters: TrainingParameters
    public let data: TrainingData
    public let options: RunOptions
    let logger: Logger
    let progress: (TrainingProgress) -> Void
    let now: () -> Double
    /// libtorch's version, once the run has asked the engine (for `metrics.json`).
    var torchVersion: String?

    public init(task: ImageTask, parameters: TrainingParameters, data: TrainingData, options: RunOptions,
                logger: Logger, progress: @escaping (TrainingProgress) -> Void = { _ in },
                now: @escaping () -> Double = TrainingRun.monotonicSeconds) {
        self.task = task
        self.parameters = parameters
        self.data = data
        self.options = options
        self.logger = logger
        self.progress = progress
        self.now = now
    }

    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    var modelDirectory: URL { options.outputDirectory.appendingPathComponent("model") }
    var head: any TaskHead { TaskHeads.head(for: task) }

    /// Trains and returns the metrics, which it has written; nil in the processes of a data-parallel run other
    /// than rank 0, which write nothing.
    public func run() throws -> TrainingResult? {
        guard !data.train.isEmpty, !data.validation.isEmpty else {
            throw TrainingError.data("training needs at least one training and one validation image (got \(data.train.count) and \(data.validation.count))")
        }
        let started = now()
        let p = parameters
        let head = self.head
        let fm = FileManager.default
        try fm.createDirectory(at: modelDirectory, withIntermediateDirectories: true)

        try EngineRuntime.setThreads(options.threads)
        try EngineRuntime.seed(options.seed)
        let info = try EngineRuntime.info()
        torchVersion = info.torchVersion
        logger.info("libtorch \(info.torchVersion), \(info.intraOpThreads) threads, BLAS: \(BLASKernels.describe(build: info.blas)), device \(options.device)")
        // A data-parallel run joins its peers first: a missing one fails it before any work.
        let group: ProcessGroup? = try options.dataParallel.map { dp in
            var o = dp
            o.device = options.device
            let group: ProcessGroup
            do {
                group = try ProcessGroup(o)
            } catch {
                throw TrainingError.dataParallel("data-parallel process \(dp.rank) of \(dp.worldSize): the run's processes did not all join at \(dp.host):\(dp.port) within \(Int(dp.timeoutSeconds)) s; check that every process was started and that this address is reachable from each (\((error as? EngineError)?.message ?? "\(error)"))")
            }
            logger.info("data-parallel: process \(dp.rank) of \(dp.worldSize) (\(group.backend), rendezvous \(dp.host):\(dp.port)); training_batch_size \(p.trainingBatchSize) is the whole batch, \(p.trainingBatchSize / max(1, dp.worldSize)) images per process")
            return group
        }
        let world = group?.size ?? 1
        let isWriter = (group?.rank ?? 0) == 0
        if world > 1, p.trainingBatchSize % world != 0 {
            throw TrainingError.data("training_batch_size \(p.trainingBatchSize) is the whole batch of \(world) processes and must divide among them: use a multiple of \(world)")
        }
        logger.info("task \(task.rawValue), model \(p.modelName.rawValue), \(data.classes.count) classes, \(data.train.count) training and \(data.validation.count) validation images")

        // The model, its starting weights and frozen layers. Whether weights will load decides a detector's
        // batch norm (frozen with pretrained backbones), so the file is found before the model is built.
        let startingWeights = try Self.startingWeightsFile(parameters: p, options: options)
        var modelOptions = head.modelOptions(p, classes: data.classes, device: options.device, pretrained: startingWeights != nil)
        if p.modelName.recipe.fitsAnchorsToData {
            if startingWeights == nil {
                modelOptions.anchors = try autoAnchors()
            } else {
                logger.info("anchors: those of the starting weights (AutoAnchor runs when training from scratch)")
            }
        }
        let model = try Model(modelOptions)
        let fingerprint = ResumeCheckpoints.fingerprint(
            task: task, parameters: p, seed: options.seed, classes: data.classes,
            train: data.train.map { URL(fileURLWithPath: $0.path).lastPathComponent },
            validation: data.validation.map { URL(fileURLWithPath: $0.path).lastPathComponent })
        let checkpoints = ResumeCheckpoints(runFolder: options.outputDirectory)
        let resumed = try findResumePoint(checkpoints, fingerprint: fingerprint)
        // A resumed run's weights come from its checkpoint; its starting weights were loaded by the first run.
        let weightsUsed = resumed != nil ? resumed!.point.weightsUsed : try loadStartingWeights(into: model)
        if let groups = p.layersToFreeze, groups > 0 {
            try model.freeze(groups: groups)
            let count = try model.parameterCount()
            logger.info("layers_to_freeze \(groups): \(count.trainable) of \(count.total) parameters train")
        }

        var trainOptions = head.loaderOptions(p, train: true, seed: options.seed, workers: options.loaderWorkers)
        if let group {
            trainOptions.batchSize = p.trainingBatchSize / world
            trainOptions.shardRank = group.rank
            trainOptions.shardCount = world
        }
        let trainLoader = try ImageLoader(dataset: try head.views(of: try head.dataset(data.train, classes: data.classes), p),
                                          options: trainOptions)
        // Rank 0 evaluates; the other processes of a data-parallel run wait for its decision.
        let validLoader = isWriter ? try ImageLoader(dataset: try head.views(of: try head.dataset(data.validation, classes: data.classes), p),
                                                     options: head.loaderOptions(p, train: false, seed: options.seed, workers: options.loaderWorkers)) : nil
        let stepsPerEpoch = try trainLoader.batchCount
        guard stepsPerEpoch > 0 else {
            throw TrainingError.data("no full training batch: \(data.train.count) training images with training_batch_size \(p.trainingBatchSize)")
        }

        var trainerOptions = TrainerOptions()
        trainerOptions.optimizer = switch p.optimizer {
        case .sgd: .sgd
        case .adam: .adam
        case .adamw: .adamw
        }
        trainerOptions.learningRate = p.learningRate
        trainerOptions.momentum = p.momentum
        trainerOptions.weightDecay = p.weightDecay
        trainerOptions.nesterov = p.nesterov
        trainerOptions.beta1 = p.beta1
        trainerOptions.beta2 = p.beta2
        trainerOptions.amsgrad = p.amsgrad
        trainerOptions.gradAccumulationStep = p.gradAccumulationStep
        trainerOptions.seed = options.seed
        trainerOptions.classWeights = task.isClassification ? classWeights() : []
        if let schedule = p.modelName.recipe.trainingSchedule(p, stepsPerEpoch: stepsPerEpoch) {
            // The family's recipe on Azure's optimiser settings (Ultralytics' for yolov5): warm-up of the biases'
            // learning rate and of momentum, accumulation to nominal_batch_size images, and the weights' moving
            // average for evaluation and the saved model.
            trainerOptions.ultralyticsOptimizer = schedule.ultralyticsOptimizer
            trainerOptions.batchSize = p.trainingBatchSize
            trainerOptions.nominalBatchSize = schedule.nominalBatchSize
            trainerOptions.warmupIterations = schedule.warmupIterations
            trainerOptions.emaDecay = schedule.emaDecay ?? 0
        }
        let cache = MemoryFormatCache()
        let cacheKey = MemoryFormatCache.key(p, task: task, threads: info.intraOpThreads, device: options.device)
        var cachedFormat: MemoryFormat?
        if options.memoryFormat == .automatic, let known = cache.lookup(cacheKey) {
            cachedFormat = known
            trainerOptions.memoryFormat = known
            logger.info("memory format: \(known == .channelsLast ? "channels_last" : "contiguous"), as measured for this model on this machine before (\(cache.url.path))")
        } else {
            trainerOptions.memoryFormat = options.memoryFormat
        }
        let trainer = try Trainer(model: model, options: trainerOptions)
        if let group { try trainer.setProcessGroup(group) }

        let schedule = LearningRateSchedule(p)
        var stopper = EarlyStopping(p)
        var history: [EpochRecord] = []
        var best: (epoch: Int, value: Double, report: TaskReport)?
        var stoppedEarly = false
        var iteration = 0
        let totalSteps = Double(stepsPerEpoch * p.numberOfEpochs)
        var stepsDone = 0.0
        var trainSeconds = 0.0
        var memoryNote: String?
        var firstEpoch = 1
        var lastCheckpoint: URL?
        if let resumed {
            // Everything as it was at the end of that epoch: the trainer's state (weights, optimiser, average,
            // pending gradients, counters, generators) and the loop's (schedule, history, best, early stopping).
            do {
                try trainer.loadState(from: resumed.trainerState.path)
            } catch {
                throw TrainingError.data("the resume checkpoint \(resumed.folder.path) does not fit this run (\(error.message)); train without --resume to start over")
            }
            let r = resumed.point
            (firstEpoch, iteration, stepsDone, trainSeconds) = (r.epoch + 1, r.iteration, r.stepsDone, r.trainSeconds)
            (history, stopper, stoppedEarly, memoryNote) = (r.history, r.earlyStopping, r.stoppedEarly, r.memoryFormat)
            best = r.best.map { ($0.epoch, $0.value, $0.report) }
            lastCheckpoint = resumed.folder
            for note in resumed.skipped { logger.warning("resume: checkpoint passed over: \(note)") }
            let bestText = best.map { "; best \(task.primaryMetric) so far \(fmt($0.value, 4)) at epoch \($0.epoch)" } ?? ""
            logger.notice("resumed after epoch \(r.epoch) of \(p.numberOfEpochs) from \(resumed.folder.path)\(bestText)")
            progress(TrainingProgress(kind: .resumed, epoch: r.epoch, epochs: p.numberOfEpochs, step: 0, steps: stepsPerEpoch,
                                      loss: .nan, learningRate: .nan, imagesPerSecond: .nan, etaSeconds: .nan))
            // The epochs already done, again: a supervisor that missed one (it died before reading it) sees it;
            // one that had it already recognises its epoch and ignores it.
            for record in history {
                progress(TrainingProgress(kind: .epoch, epoch: record.epoch, epochs: p.numberOfEpochs, step: stepsPerEpoch,
                                          steps: stepsPerEpoch, loss: record.trainLoss, learningRate: record.learningRate,
                                          imagesPerSecond: record.imagesPerSecond, etaSeconds: .nan,
                                          metricName: task.primaryMetric, metricValue: record.metrics?[task.primaryMetric],
                                          record: record))
            }
            if r.finished { firstEpoch = p.numberOfEpochs + 1 }
        }
        // The engine times the first batch in both layouts before the first step (silent for a minute on a large
        // model): say so; "memory format: ..." follows with the result.
        if memoryNote == nil, cachedFormat == nil, group == nil, trainerOptions.memoryFormat == .automatic,
           trainer.memoryFormatNote.isEmpty, firstEpoch <= p.numberOfEpochs {
            let steps = Self.memoryFormatProbeSteps
            logger.info("measuring the memory format (channels_last vs contiguous) on \(steps) steps of the first batch (\(steps / 2) in each layout) before training starts; once for this model on this machine (remembered in \(cache.url.path))")
        }
        let loopStarted = now(), stepsAtStart = stepsDone
        /// Seconds left at the pace so far (training and evaluation), over every step still to run.
        func secondsLeft() -> Double {
            stepsDone > stepsAtStart ? (totalSteps - stepsDone) * (now() - loopStarted) / (stepsDone - stepsAtStart) : .nan
        }
        /// The resume checkpoint at the end of `epoch` (rank 0), with the training weights in the model. A failure
        /// to write it (a full disk) is a warning: the run goes on, and a restart resumes from the one before.
        func saveResumePoint(epoch: Int, finished: Bool) {
            guard isWriter else { return }
            let point = ResumePoint(epoch: epoch, epochs: p.numberOfEpochs, iteration: iteration, stepsDone: stepsDone,
                                    trainSeconds: trainSeconds, history: history,
                                    best: best.map { .init(epoch: $0.epoch, value: $0.value, report: $0.report) },
                                    earlyStopping: stopper, finished: finished, stoppedEarly: stoppedEarly,
                                    memoryFormat: memoryNote, weightsUsed: weightsUsed, fingerprint: fingerprint,
                                    trainerSHA256: "")
            do {
                let started = now()
                let folder = try checkpoints.write(point) { url in try trainer.saveState(to: url.path) }
                lastCheckpoint = folder
                let bytes = (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("trainer.safetensors").path)[.size] as? Int) ?? 0
                logger.info("epoch \(epoch): resume checkpoint written (\(fmt(Double(bytes) / 1e6, 1)) MB in \(fmt(now() - started, 2)) s)")
            } catch {
                logger.warning("epoch \(epoch): the resume checkpoint could not be written (\(error)); training goes on, and a restart would resume after epoch \(history.count > 1 ? "\(epoch - 1) or earlier" : "none")")
            }
        }

        epochs: for epoch in firstEpoch...max(firstEpoch, p.numberOfEpochs) where epoch <= p.numberOfEpochs {
            let epochStart = now()
            try trainLoader.startEpoch(epoch)
            var lossSum = 0.0, images = 0, step = 0
            var lossSums: [String: Double] = [:]
            var lr = p.learningRate
            while true {
                let stepLR = schedule.learningRate(iteration: iteration, itersPerEpoch: stepsPerEpoch)
                try trainer.setLearningRate(stepLR)
                guard let result = try trainer.step(trainLoader) else { break }
                lr = stepLR
                guard result.loss.isFinite else {
                    throw TrainingError.data("the loss became \(result.loss) at epoch \(epoch), step \(step + 1): lower learning_rate (now \(p.learningRate)) or check the data")
                }
                step += 1
                iteration += 1
                stepsDone += 1
                lossSum += result.loss * Double(result.images)
                for (name, value) in result.losses { lossSums[name, default: 0] += value * Double(result.images) }
                images += result.images
                if memoryNote == nil {
                    let note = trainer.memoryFormatNote
                    if !note.isEmpty {
                        memoryNote = note
                        if cachedFormat == nil, group == nil {
                            logger.info("memory format: \(note)")
                            cache.record(cacheKey, note: note)
                        }
                    }
                }
                if step % max(1, options.progressEvery) == 0 || step == stepsPerEpoch {
                    let elapsed = max(1e-9, now() - epochStart)
                    let rate = Double(images) / elapsed
                    let secondsPerStep = (trainSeconds + elapsed) / stepsDone
                    progress(TrainingProgress(kind: .step, epoch: epoch, epochs: p.numberOfEpochs, step: step,
                                              steps: stepsPerEpoch, loss: result.loss, learningRate: lr,
                                              imagesPerSecond: rate, etaSeconds: (totalSteps - stepsDone) * secondsPerStep,
                                              losses: result.losses))
                }
                var stop = options.stopRequested?() ?? false
                if let group { stop = try group.allReduceSum([stop ? 1 : 0])[0] > 0 }  // all stop at the same step
                if stop {
                    let stopped = TrainingStopped(epoch: epoch, step: step, checkpoint: lastCheckpoint,
                                                  resumesAfter: epoch - 1, bestEpoch: best?.epoch)
                    logger.notice("\(stopped)")
                    throw stopped
                }
            }
            try trainer.flush()
            let trainElapsed = now() - epochStart
            trainSeconds += trainElapsed
            var record = EpochRecord(epoch: epoch, trainLoss: images > 0 ? lossSum / Double(images) : .nan,
                                     learningRate: lr, imagesPerSecond: Double(images) / max(1e-9, trainElapsed),
                                     seconds: trainElapsed,
                                     losses: images > 0 ? lossSums.mapValues { $0 / Double(images) } : nil)

            let evaluate = epoch % p.evaluationFrequency == 0 || epoch == p.numberOfEpochs
            // A model with a weight average (yolov5) is evaluated, saved and checkpointed with it.
            try trainer.useAverage(true)
            if evaluate, let validLoader {
                let prediction = try Prediction(model: model, loader: validLoader)
                let report = try head.evaluate(prediction, images: data.validation, classes: data.classes, parameters: p)
                record.validationLoss = prediction.meanLoss
                record.metrics = report.scalarMetrics
                let value = report.primaryValue
                let validationText = prediction.meanLoss.map { ", validation loss \(fmt($0, 4))" } ?? ""
                logger.info("epoch \(epoch)/\(p.numberOfEpochs): train loss \(fmt(record.trainLoss, 4))\(Self.lossesText(record.losses))\(validationText), \(task.primaryMetric) \(fmt(value, 4)), \(fmt(record.imagesPerSecond, 1)) img/s")
                progress(TrainingProgress(kind: .evaluation, epoch: epoch, epochs: p.numberOfEpochs, step: stepsPerEpoch,
                                          steps: stepsPerEpoch, loss: prediction.meanLoss ?? .nan, learningRate: lr,
                                          imagesPerSecond: record.imagesPerSecond, etaSeconds: secondsLeft(),
                                          metricName: task.primaryMetric, metricValue: value))
                history.append(record)
                if best == nil || value > best!.value {
                    best = (epoch, value, report)
                    try model.save(to: modelDirectory.appendingPathComponent("weights.safetensors").path)
                    try head.writeExamples(prediction, images: data.validation, parameters: p, to: options.outputDirectory)
                    // The best so far is a usable model at once: a run stopped later still leaves it.
                    _ = try writeOutputs(best: best!, history: history, stoppedEarly: false, complete: false,
                                         weightsUsed: weightsUsed, started: started, memoryFormat: memoryNote)
                    logger.info("epoch \(epoch): new best \(task.primaryMetric) \(fmt(value, 4)); model saved")
                }
                if p.earlyStopping, stopper.record(value) == .stop {
                    logger.info("early stopping at epoch \(epoch): no improvement of \(task.primaryMetric) for \(p.earlyStoppingPatience) evaluations")
                    stoppedEarly = true
                }
            } else {
                logger.info("epoch \(epoch)/\(p.numberOfEpochs): train loss \(fmt(record.trainLoss, 4))\(Self.lossesText(record.losses)), \(fmt(record.imagesPerSecond, 1)) img/s")
                history.append(record)
            }
            // Every process of a data-parallel run learns here whether rank 0 stopped early.
            if let group, try group.broadcast([stoppedEarly ? 1 : 0])[0] != 0 { stoppedEarly = true }
            if isWriter, let every = p.checkpointFrequency, epoch % every == 0 { try saveCheckpoint(model, epoch: epoch) }
            try trainer.useAverage(false)
            // The epoch is reported once its checkpoint is on disk: a supervisor never counts an epoch a restart
            // would train again.
            saveResumePoint(epoch: epoch, finished: stoppedEarly || epoch == p.numberOfEpochs)
            progress(TrainingProgress(kind: .epoch, epoch: epoch, epochs: p.numberOfEpochs, step: stepsPerEpoch,
                                      steps: stepsPerEpoch, loss: record.trainLoss, learningRate: lr,
                                      imagesPerSecond: record.imagesPerSecond, etaSeconds: secondsLeft(),
                                      metricName: task.primaryMetric, metricValue: record.metrics?[task.primaryMetric],
                                      record: history.last))
            if stoppedEarly { break epochs }
            var stop = epoch < p.numberOfEpochs && (options.stopRequested?() ?? false)
            if let group { stop = try group.allReduceSum([stop ? 1 : 0])[0] > 0 }
            if stop {
                let stopped = TrainingStopped(epoch: epoch, step: stepsPerEpoch, checkpoint: lastCheckpoint,
                                              resumesAfter: epoch, bestEpoch: best?.epoch)
                logger.notice("\(stopped)")
                throw stopped
            }
        }

        guard isWriter else {
            logger.info("data-parallel process \(group?.rank ?? 0): done after \(history.last?.epoch ?? 0) epochs")
            return nil
        }
        guard let best else { throw TrainingError.data("no evaluation ran") }
        let result = try writeOutputs(best: best, history: history, stoppedEarly: stoppedEarly, complete: true,
                                      weightsUsed: weightsUsed, started: started, memoryFormat: memoryNote)
        let primary = result.primaryMetric
        progress(TrainingProgress(kind: .finished, epoch: result.epochsRun, epochs: p.numberOfEpochs, step: 0, steps: 0,
                                  loss: 0, learningRate: 0, imagesPerSecond: 0, etaSeconds: 0,
                                  metricName: primary.name, metricValue: primary.value))
        logger.info("done in \(fmt(result.seconds, 1)) s: best \(primary.name) \(fmt(primary.value, 4)) at epoch \(best.epoch); model in \(modelDirectory.path)")
        return result
    }

    /// Forward and backward passes the engine times on the first batch when it chooses the memory format: three in
    /// each layout, the first of each warming up (`Trainer::choose_memory_format`).
    static let memoryFormatProbeSteps = 6

    /// ", loss_classifier 0.41, loss_box_reg 0.22, ..." when a model has more than one loss.
    static func lossesText(_ losses: [String: Double]?) -> String {
        guard let losses, losses.count > 1 else { return "" }
        return " (" + losses.sorted { $0.key < $1.key }.map { "\($0.key) \(fmt($0.value, 4))" }.joined(separator: ", ") + ")"
    }

    /// Writes `model/model.json` and `metrics.json` for the best epoch so far (`complete` once the run ends).
    func writeOutputs(best: (epoch: Int, value: Double, report: TaskReport), history: [EpochRecord],
                      stoppedEarly: Bool, complete: Bool, weightsUsed: String?, started: Double,
                      memoryFormat: String?) throws -> TrainingResult {
        let p = parameters
        let primary = ModelManifest.PrimaryMetric(name: task.primaryMetric, value: best.value)
        try head.manifest(p, classes: data.classes, primaryMetric: primary, source: "spoolctl train").write(to: modelDirectory)
        try ScoringScript.write(into: modelDirectory)
        var result = TrainingResult(
            primaryMetric: primary, bestEpoch: best.epoch, epochsRun: history.last?.epoch ?? 0,
            stoppedEarly: stoppedEarly, complete: complete, history: history, bestReport: best.report, task: task,
            modelName: p.modelName, classes: data.classes, trainImages: data.train.count,
            validationImages: data.validation.count, seconds: now() - started, pretrainedWeights: weightsUsed,
            parameters: p, memoryFormat: memoryFormat)
        result.device = options.device
        result.libtorchVersion = torchVersion
        result.classCounts = ClassCounts(data, task: task)
        result.split = data.split
        result.chanceLevel = ChanceLevel.of(task: task, classes: data.classes, validation: data.validation)
        try result.write(to: options.outputDirectory.appendingPathComponent(MetricsDocument.fileName))
        return result
    }

    /// YOLOv5's AutoAnchor on the training boxes at img_size: Ultralytics' anchors when they reach at least 98%
    /// of the boxes, else anchors computed for this data (when they fit better). The image sizes are read from up
    /// to 1000 training images spread over the set.
    func autoAnchors() throws -> [Float]? {
        let p = parameters
        let step = max(1, data.train.count / 1000)
        var boxes: [(width: Double, height: Double, imageWidth: Double, imageHeight: Double)] = []
        for image in stride(from: 0, to: data.train.count, by: step).map({ data.train[$0] }) where !image.objects.isEmpty {
            let size = try ImageLoader.probe(path: image.path)
            for o in image.objects where !o.isCrowd {
                boxes.append((o.box.bottomX - o.box.topX, o.box.bottomY - o.box.topY, Double(size.width), Double(size.height)))
            }
        }
        var rng = SplitMix64(seed: options.seed ^ 0xA11C_0A7C)
        let check = AutoAnchor(boxes: boxes, imageSize: p.imgSize, using: &rng)
        let fit = check.fit(AutoAnchor.defaultAnchors)
        let text = { (f: AutoAnchor.Fit) in "best possible recall \(fmt(f.bestPossibleRecall, 4)), \(fmt(f.anchorsAboveThreshold, 2)) anchors per box" }
        guard fit.bestPossibleRecall < 0.98 else {
            logger.info("AutoAnchor: the default anchors fit (\(text(fit)) at img_size \(p.imgSize))")
            return nil
        }
        let computed = check.compute(using: &rng)
        guard computed.count == 9 else {
            logger.info("AutoAnchor: \(text(fit)) with the default anchors; too few boxes to compute others")
            return nil
        }
        let newFit = check.fit(computed)
        guard newFit.bestPossibleRecall > fit.bestPossibleRecall else {
            logger.info("AutoAnchor: \(text(fit)) with the default anchors; computed ones fit no better, defaults kept")
            return nil
        }
        let listed = computed.map { "\(Int($0.0.rounded()))x\(Int($0.1.rounded()))" }.joined(separator: ", ")
        logger.notice("AutoAnchor: default anchors reach too few boxes (\(text(fit))); anchors computed for this data: \(listed) (\(text(newFit)))")
        return computed.flatMap { [Float($0.0), Float($0.1)] }
    }

    /// The checkpoint this run continues from (`options.resume`), or nil to start from the beginning.
    func findResumePoint(_ checkpoints: ResumeCheckpoints, fingerprint: String) throws -> ResumeCheckpoints.Found? {
        switch options.resume {
        case .never:
            return nil
        case .required, .ifAny:
            if let found = checkpoints.newest(fingerprint: fingerprint) { return found }
            if options.resume == .ifAny {
                if !checkpoints.isEmpty {
                    logger.warning("resume: no intact checkpoint of this run in \(checkpoints.folder.path); starting from the beginning")
                }
                return nil
            }
            let why = checkpoints.isEmpty ? "it holds none"
                : "none is intact and of this run (same settings, data and seed)"
            throw TrainingError.data("--resume \(options.outputDirectory.path): no checkpoint to resume from in \(checkpoints.folder.path) (\(why)); train without --resume to start over")
        }
    }

    func saveCheckpoint(_ model: Model, epoch: Int) throws {
        let folder = options.outputDirectory.appendingPathComponent("checkpoints")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try model.save(to: folder.appendingPathComponent("epoch_\(epoch).safetensors").path)
        logger.info("epoch \(epoch): checkpoint saved (checkpoint_frequency \(parameters.checkpointFrequency ?? 0))")
    }

    func classWeights() -> [Float] {
        let counts = (0..<data.classes.count).map { c in data.train.filter { $0.labels.contains(c) }.count }
        let weights = ClassWeights.weights(classCounts: counts, sampleCount: data.train.count, mode: parameters.weightedLoss)
        return (weights ?? []).map { Float($0) }
    }

    /// The file training will start from (`checkpoint_run_id`, `pretrained_weights`, or one found by model
    /// name), without loading it; nil from scratch.
    public static func startingWeightsFile(parameters: TrainingParameters, options: RunOptions) throws -> String? {
        if parameters.checkpointRunID != nil { return "checkpoint" }
        if parameters.pretrainedWeights != nil { return "given" }
        return options.weightsSearchPaths.lazy.compactMap { WeightsFolder($0).file(for: parameters)?.path }.first
    }

    /// Loads `pretrained_weights`, a run named by `checkpoint_run_id`, or weights found by model name; else
    /// says that training starts from scratch. Returns the file used.
    func loadStartingWeights(into model: Model) throws -> String? {
        try Self.loadStartingWeights(into: model, parameters: parameters, options: options, classes: data.classes, logger: logger)
    }

    /// The same, for any caller (the bundle probe checks the weights this way before a job is queued).
    public static func loadStartingWeights(into model: Model, parameters: TrainingParameters, options: RunOptions,
                                           classes: [String], logger: Logger) throws -> String? {
        let fm = FileManager.default
        if let run = parameters.checkpointRunID {
            let candidates = [URL(fileURLWithPath: run), options.baseDirectory?.appendingPathComponent(run)].compactMap { $0 }
            for base in candidates {
                for file in ["model/weights.safetensors", "weights.safetensors"] {
                    let url = base.appendingPathComponent(file)
                    if fm.fileExists(atPath: url.path) {
                        // The same classes in the same order: the head is kept too (a warm start from the model
                        // in use); otherwise it is re-initialised for this job's classes.
                        let earlier = try? ModelManifest.read(from: url.deletingLastPathComponent())
                        let sameClasses = earlier?.classes == classes && earlier?.modelName == parameters.modelName
                        let r = try model.load(weights: url.path, replaceHead: !sameClasses)
                        logger.info("checkpoint_run_id \(run): started from \(url.path) (\(r.loaded) tensors; \(sameClasses ? "head kept: same classes" : "head re-initialised"))")
                        return url.path
                    }
                }
            }
            throw TrainingError.weights("checkpoint_run_id '\(run)': no earlier run's model found there (looked for model/weights.safetensors under \(candidates.map(\.path).joined(separator: ", ")))")
        }
        if let given = parameters.pretrainedWeights {
            let url = given.hasPrefix("/") ? URL(fileURLWithPath: given)
                : (options.baseDirectory ?? URL(fileURLWithPath: fm.currentDirectoryPath)).appendingPathComponent(given)
            guard fm.fileExists(atPath: url.path) else {
                throw TrainingError.weights("training_parameters.pretrained_weights = \(given): no such file in the bundle or on this machine")
            }
            let r: Model.LoadReport
            do {
                r = try model.load(weights: url.path, replaceHead: true)
            } catch {
                let reason = error.message.hasPrefix(url.path + ": ") ? String(error.message.dropFirst(url.path.count + 2)) : error.message
                throw TrainingError.weights("training_parameters.pretrained_weights = \(given): \(reason)")
            }
            logger.info("pretrained weights \(url.path): \(r.loaded) tensors loaded, classifier head replaced for \(classes.count) classes")
            return url.path
        }
        for folder in options.weightsSearchPaths {
            if let url = WeightsFolder(folder).file(for: parameters) {
                let r = try model.load(weights: url.path, replaceHead: true)
                logger.info("pretrained weights found in \(folder.path): \(url.lastPathComponent), \(r.loaded) tensors loaded, \(r.backboneOnly ? "into the backbone only" : "classifier head replaced")")
                return url.path
            }
        }
        let searched = options.weightsSearchPaths.map(\.path).joined(separator: ", ")
        logger.notice("no pretrained weights for \(parameters.modelName.rawValue)\(searched.isEmpty ? "" : " in \(searched)"): training starts from scratch (random initialisation). `spoolctl weights pull \(parameters.modelName.rawValue)` fetches its reference weights (or set training_parameters.pretrained_weights).")
        return nil
    }
}
