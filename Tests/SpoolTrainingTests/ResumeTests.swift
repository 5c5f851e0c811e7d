import Foundation
import Logging
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// Resume, never restart (docs/resume.md): on the CPU with a fixed seed, a run stopped in the middle of an
/// epoch and again at an epoch's end, then resumed from its checkpoints, ends with the uninterrupted run's
/// weights bit for bit, its history (losses and metrics) and its best epoch. One untrained-from-scratch tiny run
/// per family: a classifier (Adam), Faster R-CNN (SGD with momentum; its samplers draw from the trainer's
/// generator), YOLOv5 (its warm-up, weight average, and gradients accumulated across an epoch's end).
@Suite(.serialized)
struct ResumeTests {
    /// Counts the times a run asks whether to stop (after every step and at every epoch's end) and answers yes
    /// at the given ones.
    final class StopAt: @unchecked Sendable {
        private let lock = NSLock()
        private var asked = 0
        let at: Set<Int>
        init(_ at: Set<Int>) { self.at = at }
        func ask() -> Bool { lock.withLock { asked += 1; return at.contains(asked) } }
    }

    static func run(bundle: URL, out: URL, seed: UInt64, resume: RunOptions.ResumeMode = .never,
                    stop: StopAt? = nil) throws -> TrainingResult? {
        let job = try JobBundle.load(directory: bundle)
        let parameters = try job.settings.trainingParameters(overrides: [:])
        let data = try job.trainingData(splitRatio: parameters.splitRatio, seed: seed)
        var options = RunOptions(outputDirectory: out)
        options.seed = seed
        options.baseDirectory = bundle
        options.memoryFormat = .contiguous  // measured layouts could differ between the two runs
        options.resume = resume
        options.loaderWorkers = 2
        if let stop { options.stopRequested = { stop.ask() } }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let logger = RunLogHandler.logger(label: "test", file: out.appendingPathComponent("train.log"), mirrorToStderr: false)
        return try TrainingRun(task: job.settings.task, parameters: parameters, data: data, options: options,
                               logger: logger).run()
    }

    /// Trains `bundle` straight through, and again stopped at `stops` (counted as `StopAt` counts) and resumed
    /// after each stop; `damage` runs before the last resume. Returns both results and folders.
    static func compare(bundle: URL, in dir: URL, seed: UInt64, stops: [Int], damage: ((URL) throws -> Void)? = nil) throws
        -> (straight: TrainingResult, resumed: TrainingResult, a: URL, b: URL)
    {
        let a = dir.appendingPathComponent("straight"), b = dir.appendingPathComponent("interrupted")
        let straight = try #require(try run(bundle: bundle, out: a, seed: seed))
        // The first run is stopped at stops[0]; each resume is stopped at the next (counted from its own start).
        var resume: RunOptions.ResumeMode = .never
        for (i, at) in stops.enumerated() {
            #expect(throws: TrainingStopped.self, "stop \(i + 1) at ask \(at)") {
                _ = try run(bundle: bundle, out: b, seed: seed, resume: resume, stop: StopAt([at]))
            }
            resume = .required
        }
        try damage?(b)
        let resumed = try #require(try run(bundle: bundle, out: b, seed: seed, resume: .required))
        return (straight, resumed, a, b)
    }

    /// The same weights bit for bit, the same losses and metrics at every epoch, the same best epoch and value.
    static func expectSame(_ r: (straight: TrainingResult, resumed: TrainingResult, a: URL, b: URL)) throws {
        let weights = { (dir: URL) in try Data(contentsOf: dir.appendingPathComponent("model/weights.safetensors")) }
        #expect(try weights(r.a) == weights(r.b), "model/weights.safetensors differs between the straight and the resumed run")
        // The last epoch's whole trainer state too (weights, optimiser, average, counters, generators): the best
        // model may be an early epoch's.
        let last = String(format: "checkpoints/resume/epoch-%04d/trainer.safetensors", r.straight.epochsRun)
        let state = { (dir: URL) in try Data(contentsOf: dir.appendingPathComponent(last)) }
        #expect(try state(r.a) == state(r.b), "\(last) differs between the straight and the resumed run")
        #expect(r.straight.bestEpoch == r.resumed.bestEpoch)
        #expect(r.straight.primaryMetric.value == r.resumed.primaryMetric.value)
        #expect(r.straight.history.map(\.epoch) == r.resumed.history.map(\.epoch))
        #expect(r.straight.history.map(\.trainLoss) == r.resumed.history.map(\.trainLoss))
        #expect(r.straight.history.map(\.losses) == r.resumed.history.map(\.losses))
        #expect(r.straight.history.map(\.metrics) == r.resumed.history.map(\.metrics))
        #expect(r.straight.history.map(\.learningRate) == r.resumed.history.map(\.learningRate))
        let log = TrainingSupport.log(r.b)
        #expect(log.contains("resumed after epoch"), "the resumed run says where it resumed:\n\(log)")
    }

    @Test func classifierResumesBitForBitAndPassesOverATornCheckpoint() throws {
        let dir = try TrainingSupport.temporaryDirectory("resume-classifier")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try TrainingSupport.shapesBundle(
            in: dir, perClass: 12, size: 32,
            parameters: ClassificationLearningLongTests.parameters(model: "resnet18", epochs: 5, size: 32, lr: 0.002,
                                                                   optimizer: "adam", cropScaleMin: 0.85)
                .map { $0.hasPrefix("training_batch_size") ? "training_batch_size: 8" : $0 })
        // 27 training images in batches of 8: 4 steps an epoch, and 5 asks (after each step, at the epoch's end).
        // Stop 1 after the first step of epoch 2 (it resumes after epoch 1); stop 2 at the end of epoch 3, the
        // 10th ask of the resumed run. Then the newest checkpoint (epoch 3) is torn, and the last resume continues
        // after epoch 2.
        var damaged: String?
        let r = try Self.compare(bundle: bundle, in: dir, seed: 3, stops: [6, 10]) { b in
            // The newest checkpoint torn (its state file cut short): the resume uses the one before it.
            let folders = try FileManager.default.contentsOfDirectory(atPath: b.appendingPathComponent("checkpoints/resume").path).sorted()
            let newest = b.appendingPathComponent("checkpoints/resume/\(folders.last!)/trainer.safetensors")
            let data = try Data(contentsOf: newest)
            try data.prefix(data.count / 2).write(to: newest)
            damaged = folders.last
        }
        #expect(damaged == "epoch-0003", "checkpoints: \(String(describing: damaged))")
        try Self.expectSame(r)
        let log = TrainingSupport.log(r.b)
        #expect(log.contains("epoch 3: trainer.safetensors does not match its hash") && log.contains("resumed after epoch 2"),
                "the torn checkpoint is passed over for epoch 2's:\n\(log)")
        print("resume classifier: accuracy \(r.resumed.primaryMetric.value) at epoch \(r.resumed.bestEpoch), identical weights")
    }

    /// A checkpoint that cannot be written (here its folder's name is taken by a file, as a full disk refuses the
    /// write) is a warning: the run trains to its end.
    @Test func aCheckpointThatCannotBeWrittenDoesNotStopTheRun() throws {
        let dir = try TrainingSupport.temporaryDirectory("resume-unwritable")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try TrainingSupport.shapesBundle(
            in: dir, perClass: 8, size: 32,
            parameters: ClassificationLearningLongTests.parameters(model: "resnet18", epochs: 2, size: 32, lr: 0.002))
        let out = dir.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: out.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
        try Data("not a folder".utf8).write(to: out.appendingPathComponent("checkpoints/resume"))
        let result = try #require(try Self.run(bundle: bundle, out: out, seed: 1))
        #expect(result.complete && result.epochsRun == 2)
        let log = TrainingSupport.log(out)
        #expect(log.contains("epoch 1: the resume checkpoint could not be written") && log.contains("training goes on"), "\(log)")
    }

    @Test func fasterRCNNResumesBitForBit() throws {
        let dir = try TrainingSupport.temporaryDirectory("resume-frcnn")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try DetectionTrainingTests.bundle(in: dir, model: "fasterrcnn_resnet18_fpn", train: 8, valid: 4, epochs: 3,
                                                       learningRate: 0.01, size: 64)
        // 8 images in batches of 4: 2 steps an epoch, 3 asks. Stop in epoch 2 after its first step; then at the
        // end of the resumed run's first epoch (epoch 2).
        let r = try Self.compare(bundle: bundle, in: dir, seed: 2, stops: [4, 3])
        try Self.expectSame(r)
    }

    @Test func yoloV5ResumesBitForBitWithItsAverageAndAccumulation() throws {
        let dir = try TrainingSupport.temporaryDirectory("resume-yolo")
        defer { try? FileManager.default.removeItem(at: dir) }
        // 24 images in batches of 8 with a nominal batch of 16: 3 steps an epoch and an update every 2 after the
        // warm-up, so gradients are pending at the end of epochs 1 and 3.
        let bundle = try YOLOv5TrainingTests.bundle(in: dir, train: 24, valid: 8, epochs: 4, size: 64, evaluationFrequency: 1,
                                                    nominalBatchSize: 16)
        let r = try Self.compare(bundle: bundle, in: dir, seed: 1, stops: [6, 4])
        try Self.expectSame(r)
    }
}
