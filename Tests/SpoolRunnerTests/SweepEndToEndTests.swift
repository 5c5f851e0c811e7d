import Foundation
import SpoolCore
import Testing

/// Sweeps through the built `spoolctl serve --once`: several trials at once, a policy that stops some, the
/// budget, trials that fail or run out of memory.
@Suite(.serialized)
struct SweepEndToEndTests {
    /// Six grid trials, two at a time. Learning rates far apart give different accuracies at each evaluation,
    /// and a bandit policy with a tiny slack stops any trial below the best at an interval.
    static let sweepSettings =
        """
        limits: {timeout_minutes: 30, max_trials: 6, max_concurrent_trials: 2}
        sweep:
          sampling_algorithm: grid
          early_termination: {type: bandit, slack_amount: 0.001, evaluation_interval: 1, delay_evaluation: 1}
        search_space:
          - learning_rate: "choice(0.05, 0.0001, 0.02)"
            momentum: "choice(0.9, 0.5)"
        """

    static func sweepBundle(in dir: URL, epochs: Int) throws -> URL {
        // 45 images, 9 held out: accuracies far enough apart that the bandit's comparisons are not all ties.
        let bundle = try RunnerSupport.bundle(in: dir, name: "sweep", epochs: epochs, perClass: 15)
        let settings = try String(contentsOf: bundle.appendingPathComponent("settings.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "limits: {timeout_minutes: 30}\n", with: "")
        try (settings + "\n" + sweepSettings).write(
            to: bundle.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        return bundle
    }

    static func trialsJSON(_ outbox: String) throws -> TrialsDocument {
        try TrialsDocument.read(from: URL(fileURLWithPath: outbox + "/trials.json"))
    }

    @Test func aBanditSweepStopsPoorTrialsAndPublishesTheBest() throws {
        let dir = try RunnerSupport.temporaryDirectory("sweep")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = try Self.sweepBundle(in: dir, epochs: 3)
        #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path])
        #expect(serve.status == 0, "\(serve.stderr)")

        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        #expect(job.trials.total == 6)
        let outbox = try #require(job.outbox)
        for file in ["model/weights.safetensors", "model/model.json", "metrics.json", "trials.csv", "trials.json", "job.json"] {
            #expect(FileManager.default.fileExists(atPath: outbox + "/" + file), "\(file)")
        }

        // trials.json: all six, each with its grid values; at least one stopped by the policy with its reason.
        let document = try Self.trialsJSON(outbox)
        let trials = document.trials
        #expect(trials.count == 6)
        let grid = Set(trials.map { t -> String in
            let h = t.hyperparameters
            return "\(h["learning_rate"]?.description ?? "")/\(h["momentum"]?.description ?? "")"
        })
        #expect(grid == ["0.05/0.9", "0.05/0.5", "0.0001/0.9", "0.0001/0.5", "0.02/0.9", "0.02/0.5"])
        let stopped = trials.filter { $0.reason.hasPrefix("early termination: bandit") }
        #expect(!stopped.isEmpty, "\(trials.map { "\($0.state): \($0.reason)" })")
        #expect(stopped.allSatisfy { $0.state == "CANCELLED" })
        // A stopped trial keeps its metrics and its model.
        for trial in stopped {
            #expect(!trial.evaluations.isEmpty)
            let number = trial.number
            let id = job.id
            #expect(FileManager.default.fileExists(atPath: spool.appendingPathComponent("jobs/\(id)/trials/\(number)/model/model.json").path))
        }

        // The best trial: the highest best metric, and its model is the outbox's.
        let bestNumber = try #require(document.bestTrial)
        let best = try #require(trials.first { $0.number == bestNumber })
        let bestValue = try #require(best.bestMetric)
        #expect(trials.compactMap(\.bestMetric).allSatisfy { $0 <= bestValue })
        let metrics = try MetricsDocument.read(from: URL(fileURLWithPath: outbox + "/metrics.json"))
        #expect(metrics.primaryMetric.value == bestValue)
        #expect(job.best?.value == bestValue)

        // trials.csv: a header and one complete row per trial.
        let csv = try String(contentsOfFile: outbox + "/trials.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 7)
        #expect(csv.first == "trial,state,best,accuracy,epochs_done,learning_rate,momentum,reason,accuracy_per_evaluation")
        #expect(csv.dropFirst().filter { $0.contains(",yes,") }.count == 1)

        // status JOB: the trials with what varies, the best marked.
        let id = job.id
        let table = try RunnerSupport.spoolctl(["status", "--spool", spool.path, id])
        #expect(table.stdout.contains("LEARNING_RATE") && table.stdout.contains("MOMENTUM"), "\(table.stdout)")
        #expect(table.stdout.contains("\(bestNumber) *"), "\(table.stdout)")
        let detail = try RunnerSupport.detail(spool: spool, job: id)
        #expect(detail.bestTrial == bestNumber)
        #expect(detail.trials.filter(\.isBest).count == 1)
        // Two at a time: some trials overlapped.
        let log = try String(contentsOfFile: outbox + "/job.log", encoding: .utf8)
        #expect(log.contains("2 at once"))
    }

    /// Object detection from bundle to outbox through the daemon: a grid over the two detector families (one
    /// epoch each at 64 px), the best published with its score.py, metrics, trials and a report that draws the
    /// best trial's validation images.
    @Test func aDetectionSweepGoesFromBundleToOutbox() throws {
        let dir = try RunnerSupport.temporaryDirectory("sweep-detect")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = dir.appendingPathComponent("boxes")
        let example = try RunnerSupport.spoolctl(["example", "--task", "detection", "--out", bundle.path, "--images", "20", "--size", "64"])
        try #require(example.status == 0, "\(example.stderr)")
        try """
            task: image_object_detection
            training_data: {path: train.jsonl}
            limits: {timeout_minutes: 30, max_trials: 2}
            sweep: {sampling_algorithm: grid}
            training_parameters:
              number_of_epochs: 1
              training_batch_size: 4
              validation_batch_size: 4
              min_size: 64
              max_size: 64
              box_score_thresh: 0.05
            search_space:
              - model_name: "choice('fasterrcnn_resnet18_fpn', 'retinanet_resnet50_fpn')"
            """.write(to: bundle.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path])
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        #expect(job.trials.total == 2)
        let outbox = try #require(job.outbox)
        for file in ["model/weights.safetensors", "model/model.json", "model/score.py", "metrics.json", "trials.csv", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: outbox + "/" + file), "\(file)")
        }
        let manifest = try ModelManifest.read(from: URL(fileURLWithPath: outbox + "/model"))
        #expect(manifest.task.rawValue == "image_object_detection")
        #expect(manifest.detection?.minSize == 64)
        let trials = try Self.trialsJSON(outbox).trials
        let models = Set(trials.compactMap { $0.hyperparameters["model_name"]?.stringValue })
        #expect(models == ["fasterrcnn_resnet18_fpn", "retinanet_resnet50_fpn"], "\(trials)")
        let csv = try String(contentsOfFile: outbox + "/trials.csv", encoding: .utf8)
        #expect(csv.hasPrefix("trial,state,best,mean_average_precision,"), "\(csv)")
        let report = try String(contentsOfFile: outbox + "/report.html", encoding: .utf8)
        #expect(report.contains("Per label") && report.contains("Training losses per epoch"))
        #expect(report.contains("Validation images") && report.contains("data:image/png;base64,"))
    }

    /// Instance segmentation through the daemon, as a new user first meets it: `spoolctl example --task
    /// segmentation` (one epoch here), submitted and served; the outbox holds a segmentation model folder, mask
    /// metrics beside the boxes' and a report that draws the polygons.
    @Test func aSegmentationExampleGoesFromBundleToOutbox() throws {
        let dir = try RunnerSupport.temporaryDirectory("sweep-segment")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = dir.appendingPathComponent("shapes")
        let example = try RunnerSupport.spoolctl(["example", "--task", "segmentation", "--out", bundle.path, "--images", "16", "--size", "64"])
        try #require(example.status == 0, "\(example.stderr)")
        let settingsURL = bundle.appendingPathComponent("settings.yaml")
        let settings = try String(contentsOf: settingsURL, encoding: .utf8)
        #expect(settings.contains("task: image_instance_segmentation") && settings.contains("model_name: maskrcnn_resnet18_fpn"))
        try settings.replacingOccurrences(of: "number_of_epochs: 12", with: "number_of_epochs: 1")
            .write(to: settingsURL, atomically: true, encoding: .utf8)
        let submit = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path])
        #expect(submit.status == 0, "\(submit.stderr)")
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path])
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        let outbox = try #require(job.outbox)
        let manifest = try ModelManifest.read(from: URL(fileURLWithPath: outbox + "/model"))
        #expect(manifest.task.rawValue == "image_instance_segmentation")
        #expect(manifest.detection?.maxNumberOfPolygonPoints == 100)
        let metrics = try String(contentsOfFile: outbox + "/metrics.json", encoding: .utf8)
        #expect(metrics.contains("\"iou_type\" : \"segm\"") || metrics.contains("\"iou_type\":\"segm\""), "mask metrics")
        #expect(metrics.contains("box_voc_mean_average_precision"), "the boxes' metrics beside")
        let report = try String(contentsOfFile: outbox + "/report.html", encoding: .utf8)
        #expect(report.contains("Validation images") && report.contains("<polygon"), "the report draws the polygons")
    }

    @Test func aBudgetTooSmallEndsTimeoutWithTheBestSoFar() throws {
        let dir = try RunnerSupport.temporaryDirectory("sweep-timeout")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = try Self.sweepBundle(in: dir, epochs: 20_000)
        #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)
        let started = Date()
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--max-job-seconds", "25", "--grace", "2"])
        #expect(serve.status == 0, "\(serve.stderr)")
        #expect(Date().timeIntervalSince(started) < 90)
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "TIMEOUT", "\(job)")
        #expect(job.reason.contains("the best so far"), "\(job)")
        let outbox = try #require(job.outbox)
        #expect(FileManager.default.fileExists(atPath: outbox + "/model/weights.safetensors"))
        let document = try Self.trialsJSON(outbox)
        let trials = document.trials
        // The deadline stopped what was running; nothing finished its 20,000 epochs.
        #expect(trials.contains { $0.state == "TIMEOUT" })
        #expect(!trials.contains { $0.state == "COMPLETED" })
        #expect(document.bestTrial != nil)
    }

    @Test func aFailingTrialDoesNotFailTheSweepAndOutOfMemoryRetriesWithHalfTheBatch() throws {
        let dir = try RunnerSupport.temporaryDirectory("sweep-failures")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        // learning_rate 0.001 crashes; 0.02 runs out of memory unless its batch is 4.
        let trainer = try TrialSupervisionTests.fakeTrainer(in: dir, behaviour: """
              case "$*" in *learning_rate=0.001*) echo "error: something broke" >&2; exit 1;; esac
              case "$*" in *learning_rate=0.02*) case "$*" in *training_batch_size=4*) ;; *) echo "error: out of memory" >&2; exit 3;; esac;; esac
            """)
        let bundle = try RunnerSupport.bundle(in: dir, name: "failures", epochs: 1, extraSettings: """
            sweep: {sampling_algorithm: grid}
            search_space: [{learning_rate: "choice(0.05, 0.001, 0.02)"}]
            """)
        var settings = try String(contentsOf: bundle.appendingPathComponent("settings.yaml"), encoding: .utf8)
        settings = settings.replacingOccurrences(of: "limits: {timeout_minutes: 30}", with: "limits: {timeout_minutes: 30, max_trials: 3}")
        try settings.write(to: bundle.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path], environment: ["SPOOL_TRAINER": trainer.path])
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        let outbox = try #require(job.outbox)
        let trials = try Self.trialsJSON(outbox).trials
        let states = trials.map { "\($0.number)=\($0.state)" }
        #expect(states == ["0=COMPLETED", "1=FAILED", "2=OUT_OF_MEMORY", "3=COMPLETED"], "\(trials)")
        #expect(trials[1].reason.contains("something broke"))
        #expect(trials[3].retryOf == 2)
        #expect(trials[3].hyperparameters["training_batch_size"] == .int(4))
        #expect(trials[3].configurationIndex == trials[2].configurationIndex)
    }
}
