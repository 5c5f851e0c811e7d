import Foundation
import SpoolCore
import SpoolStore
import Testing
@testable import SpoolRunner

/// `report.html`: built from hand-made trials and metrics (every section, escaping, a single trial, a
/// multilabel report, a job without a model), and from a real sweep run by `spoolctl serve --once`, rendered
/// in headless Chromium (no console error, a screenshot that is not blank, the DOM's numbers equal to
/// `metrics.json`'s).
@Suite(.serialized)
struct JobReportTests {
    // MARK: Hand-made inputs

    /// A job as the store would hand it over, decoded from its columns.
    static func job(name: String, task: ImageTask = .imageClassification, state: JobState = .completed,
                    reason: String = "completed") throws -> Job {
        let columns: [String: Any] = [
            "id": "j-20250101-0007", "name": name, "task": task.rawValue, "state": state.rawValue, "reason": reason,
            "priority": 0, "created_at": 757_382_400.0, "started_at": 757_382_410.0, "finished_at": 757_382_590.0,
            "attempts": 1, "max_attempts": 3, "interruptions": 0, "bundle_path": "/tmp/bundle", "settings_json": "{}",
            "budget_seconds": 1800, "cancel_requested": false,
        ]
        return try JSONDecoder().decode(Job.self, from: JSONSerialization.data(withJSONObject: columns))
    }

    static func trial(_ number: Int, _ state: JobState, reason: String, hyper: String, epochs: Int, best: Double?) -> Trial {
        Trial(id: Int64(100 + number), jobID: "j-20250101-0007", number: number, state: state, reason: reason,
              hyperparametersJSON: hyper, startedAt: Date(timeIntervalSinceReferenceDate: 757_382_410),
              finishedAt: Date(timeIntervalSinceReferenceDate: 757_382_470 + Double(number) * 7), epochsDone: epochs,
              bestMetricValue: best)
    }

    /// Epochs 1...n: a falling loss and, every `every` epochs, a metric rising towards `top`.
    static func epochs(_ trial: Trial, count: Int, top: Double, every: Int = 1) -> [EpochMetric] {
        (1...max(1, count)).map { (epoch: Int) -> EpochMetric in
            let e = Double(epoch)
            let loss: Double = 1.2 / e + 0.05 * Double(trial.number)
            let metric: Double? = epoch % every == 0 ? top * (1 - 0.5 / e) : nil
            return EpochMetric(trialID: trial.id, epoch: epoch, trainLoss: loss, validationLoss: 1.3 / e, primaryMetric: metric)
        }
    }

    /// A metrics.json shaped like the trainer's (`TrainingResult`), three classes.
    static func metricsJSON(classes: [String], multilabel: Bool = false, accuracy: Double = 0.583_333_333_333,
                            supports: [Int]? = nil, trainLosses: [Double] = [1.2, 0.8, 0.6, 0.55],
                            extra: [String: Any] = [:]) throws -> Data {
        func curve(_ seed: Double) -> ([[String: Any]], [[String: Any]]) {
            let pr = (0..<5).map { (i: Int) -> [String: Any] in
                let step = Double(i)
                let recall: Double = (step + 1) / 5
                let precision: Double = max(0.2, 1 - seed * step / 5)
                let threshold: Double = 0.9 - step * 0.15
                return ["recall": recall, "precision": precision, "threshold": threshold]
            }
            let roc = (0..<6).map { (i: Int) -> [String: Any] in
                let rate: Double = Double(i) / 5
                let tpr: Double = min(1, pow(rate, seed))
                let threshold: Double = 1 - Double(i) * 0.18
                return ["false_positive_rate": rate, "true_positive_rate": tpr, "threshold": threshold]
            }
            return (pr, roc)
        }
        var perClass: [[String: Any]] = []
        for (index, name) in classes.enumerated() {
            let (pr, roc) = curve(0.3 + 0.2 * Double(index))
            var entry: [String: Any] = [
                "name": name, "precision": 0.5 + 0.1 * Double(index), "recall": 2.0 / 3.0, "f1": 0.571_428_571_428_571_4,
                "iou": 0.4, "support": supports?[index] ?? 3 + index, "precision_recall_curve": pr, "roc_curve": roc,
                "average_precision": 0.733_333_333_3 + Double(index) * 0.01,
            ]
            // A class that is always present has no ROC AUC (its curve is undefined): the key is absent.
            if !(multilabel && index == 1) { entry["roc_auc"] = 0.812_345_678 - Double(index) * 0.1 }
            perClass.append(entry)
        }
        let average: [String: Any] = ["precision": 0.61111, "recall": 0.66667, "f1": 0.6, "iou": 0.43, "roc_auc": 0.75,
                                      "average_precision": 0.70125]
        var report: [String: Any] = [
            "task": multilabel ? "image_classification_multilabel" : "image_classification",
            "class_names": classes, "sample_count": 12, "per_class": perClass,
            "micro": average, "macro": average.merging(["f1": 0.58765]) { $1 }, "weighted": average.merging(["recall": 0.5]) { $1 },
        ]
        if multilabel {
            report["primary_metric"] = "iou"
            report["primary_metric_value"] = 0.456_789
            report["iou"] = 0.456_789
            report["accuracy"] = 0.25  // subset accuracy
            report["decision_threshold"] = 0.5
        } else {
            report["primary_metric"] = "accuracy"
            report["primary_metric_value"] = accuracy
            report["accuracy"] = accuracy
            report["confusion_matrix"] = [[2, 1, 0], [1, 2, 1], [0, 2, 3]]
        }
        let task: ImageTask = multilabel ? .imageClassificationMultilabel : .imageClassification
        let parameters = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrainingParameters.defaults(task: task)))
        let primaryName = report["primary_metric"] as! String
        let history = trainLosses.enumerated().map { (i: Int, loss: Double) -> [String: Any] in
            let e = Double(i + 1)
            return ["epoch": i + 1, "train_loss": loss, "validation_loss": 1.3 / e + 0.01, "learning_rate": 0.01 * pow(0.5, e - 1),
                    "images_per_second": 50.0 + e, "seconds": 9.5 + e * 0.25,
                    "metrics": [primaryName: 0.2 + 0.1 * e], "losses": ["loss": loss]]
        }
        let validationCounts = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, supports?[$0] ?? 3 + $0) })
        let trainCounts = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, 4 * (supports?[$0] ?? 3 + $0)) })
        var document: [String: Any] = [
            "best_epoch": 3, "epochs_run": trainLosses.count, "complete": true, "stopped_early": false, "history": history,
            "best_epoch_report": report,
            "primary_metric": ["name": primaryName, "value": report["primary_metric_value"]!],
            "task": report["task"]!, "classes": classes, "model_name": "resnet18", "train_images": 36,
            "validation_images": 12, "seconds": 42.25, "training_parameters": parameters,
            "pretrained_weights": "/var/lib/spool/weights/resnet18.safetensors",
            "device": "cpu", "libtorch_version": "2.1.2",
            "class_counts": ["unit": "images", "train": trainCounts, "validation": validationCounts],
            "split": ["method": "split_ratio", "split_ratio": 0.2, "seed": 7],
        ]
        for (key, value) in extra { document[key] = value }
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
    }

    /// The typed document the daemon reads from that file.
    static func document(_ data: Data) throws -> MetricsDocument {
        try ContractCoding.decoder().decode(MetricsDocument.self, from: data)
    }

    static let hostileClass = "<b>&\""

    /// Four trials of a sweep over a learning rate (three decades: a log axis) and an optimizer (bands): one
    /// stopped by the policy, one failed without a metric, the best one last.
    static func sweepReport() throws -> (JobReport, Data) {
        let trials = [
            trial(0, .completed, reason: "completed", hyper: #"{"learning_rate":0.05,"optimizer":"sgd"}"#, epochs: 4, best: 0.5),
            trial(1, .cancelled, reason: "stopped by the bandit policy: 0.2500 < 0.4900 - 0.001 <slack>", hyper: #"{"learning_rate":0.0001,"optimizer":"sgd"}"#, epochs: 2, best: 0.25),
            trial(2, .failed, reason: "trial crashed: <boom> & \"quoted\"", hyper: #"{"learning_rate":0.002,"optimizer":"adamw"}"#, epochs: 0, best: nil),
            trial(3, .completed, reason: "completed", hyper: #"{"learning_rate":0.01,"optimizer":"adamw"}"#, epochs: 4, best: 0.5833),
        ]
        var epochs: [Int64: [EpochMetric]] = [:]
        for t in trials where t.epochsDone > 0 {
            epochs[t.id] = Self.epochs(t, count: t.epochsDone, top: (t.bestMetricValue ?? 0) * 1.1, every: t.number == 0 ? 2 : 1)
        }
        let metrics = try metricsJSON(classes: ["circle", hostileClass, "tri.angle"])
        let report = JobReport(job: try job(name: "shapes <sweep> & \"co\""), trials: trials, epochs: epochs,
                               varying: ["learning_rate", "optimizer"], bestTrial: 3, bestMetrics: try document(metrics))
        return (report, metrics)
    }

    // MARK: Comparing a page's numbers with metrics.json

    /// Every `data-metric` element of `html` (a page, or Chromium's dump of it) as (path, text).
    static func metricElements(_ html: String) throws -> [(path: String, text: String)] {
        let pattern = try NSRegularExpression(pattern: #"data-metric="([^"]*)"[^>]*>([^<]*)<"#)
        let range = NSRange(html.startIndex..., in: html)
        return pattern.matches(in: html, range: range).map { match in
            (unescape(String(html[Range(match.range(at: 1), in: html)!])),
             unescape(String(html[Range(match.range(at: 2), in: html)!])))
        }
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// The number at a `data-metric` path (see `JobReport`): in `best_epoch_report`, else at the top level.
    static func lookup(_ path: String, in document: [String: Any]) -> Double? {
        let report = document["best_epoch_report"] as? [String: Any] ?? [:]
        func number(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }
        if path.hasPrefix("per_class.") {
            let rest = path.dropFirst("per_class.".count)
            guard let dot = rest.lastIndex(of: ".") else { return nil }
            let name = String(rest[..<dot]), key = String(rest[rest.index(after: dot)...])
            let entry = (report["per_class"] as? [[String: Any]])?.first { $0["name"] as? String == name }
            return number(entry?[key])
        }
        if path.hasPrefix("confusion.") {
            let parts = path.split(separator: ".").compactMap { Int($0) }
            guard parts.count == 2, let rows = report["confusion_matrix"] as? [[Any]], parts[0] < rows.count,
                  parts[1] < rows[parts[0]].count else { return nil }
            return number(rows[parts[0]][parts[1]])
        }
        // `class_counts.<side>.<class name>`: the name may hold dots.
        if path.hasPrefix("class_counts.") {
            let rest = path.dropFirst("class_counts.".count)
            guard let dot = rest.firstIndex(of: ".") else { return nil }
            let side = String(rest[..<dot]), name = String(rest[rest.index(after: dot)...])
            return number(((document["class_counts"] as? [String: Any])?[side] as? [String: Any])?[name])
        }
        // `mean(history.seconds)`: the mean of a key over the history.
        if path.hasPrefix("mean(history."), path.hasSuffix(")") {
            let key = String(path.dropFirst("mean(history.".count).dropLast())
            let values = (document["history"] as? [[String: Any]] ?? []).compactMap { number($0[key]) }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        let keys = path.split(separator: ".").map(String.init)
        var node: Any? = report[keys[0]] != nil ? report : document
        for key in keys {
            if let index = Int(key), let array = node as? [Any] {
                node = index < array.count ? array[index] : nil
            } else {
                node = (node as? [String: Any])?[key]
            }
        }
        return number(node)
    }

    /// The elements whose number differs from metrics.json (at 4 decimals), and the paths seen.
    static func compare(_ html: String, with metrics: Data) throws -> (mismatches: [String], paths: Set<String>) {
        let document = try #require(try JSONSerialization.jsonObject(with: metrics) as? [String: Any])
        var mismatches: [String] = []
        var paths: Set<String> = []
        for (path, text) in try metricElements(html) {
            paths.insert(path)
            guard let shown = Double(text.trimmingCharacters(in: .whitespaces)) else {
                mismatches.append("\(path): '\(text)' is not a number"); continue
            }
            guard let expected = lookup(path, in: document) else { mismatches.append("\(path): not in metrics.json"); continue }
            // As many decimals as the page shows (4 for metrics; counts whole; hyperparameters as written).
            let written = text.trimmingCharacters(in: .whitespaces)
            let equal: Bool
            if written.contains("e") || written.contains("E") {
                equal = abs(shown - expected) <= 1e-5 * abs(expected)  // 6 significant digits
            } else {
                let decimals = written.split(separator: ".").dropFirst().first?.count ?? 0
                equal = String(format: "%.\(decimals)f", shown) == String(format: "%.\(decimals)f", expected)
            }
            if !equal { mismatches.append("\(path): shows \(text), metrics.json has \(expected)") }
        }
        return (mismatches, paths)
    }

    /// Nothing that a browser would fetch: no external URL, no src/href (but inline `data:` pictures), no script,
    /// no CSS url().
    static func expectSelfContained(_ page: String) {
        // Inline pictures, the link back to the index and the index's links to the reports fetch nothing.
        var html = page.replacingOccurrences(of: "href=\"data:image/", with: "").replacingOccurrences(of: "src=\"data:image/", with: "")
            .replacingOccurrences(of: "href=\"../index.html\"", with: "")
            .replacingOccurrences(of: "http://127.0.0.1:8080/score", with: "")  // the usage commands' text
        html = html.replacingOccurrences(of: #"href="[A-Za-z0-9._-]+/report\.html""#, with: "", options: .regularExpression)
        for needle in ["http://", "https://", "src=", "href=", "<script", "url(", "@import", "<link"] {
            #expect(!html.contains(needle), "the page contains \(needle)")
        }
    }

    // MARK: Unit tests

    @Test func aSweepShowsEveryTrialEverySectionAndEscapesWhatUsersWrote() throws {
        let (report, metrics) = try Self.sweepReport()
        let html = report.html()
        Self.expectSelfContained(html)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for section in ["Learning curves", "Sweep", "Trials", "Best trial #3", "Confusion matrix", "Per class"] {
            #expect(html.contains("<h2>\(section)</h2>") || html.contains("<h3>\(section)</h3>"), "\(section)")
        }
        for number in 0...3 { #expect(html.contains("#\(number)"), "trial \(number)") }
        for state in ["COMPLETED", "CANCELLED", "FAILED"] { #expect(html.contains(">\(state)</span>")) }
        // Escaped everywhere: the class name, the job's name, the reasons.
        #expect(!html.contains(Self.hostileClass))
        #expect(html.contains("&lt;b&gt;&amp;&quot;"))
        #expect(html.contains("shapes &lt;sweep&gt; &amp; &quot;co&quot;"))
        #expect(html.contains("trial crashed: &lt;boom&gt; &amp; &quot;quoted&quot;"))
        #expect(!html.contains("<boom>") && !html.contains("<slack>") && !html.contains("<sweep>"))
        // The learning rate spans three decades: a log axis with powers of ten; the optimizer: bands.
        #expect(html.contains(">0.0001</text>") && html.contains(">0.1</text>"))
        #expect(html.contains(">adamw</text>") && html.contains(">sgd</text>"))
        // Legends: every trial in the curves, the best named.
        #expect(html.contains("trial 3 <strong>(best)</strong>"))
        // Numbers from metrics.json: all present, all equal.
        let (mismatches, paths) = try Self.compare(html, with: metrics)
        #expect(mismatches.isEmpty, "\(mismatches)")
        for path in ["accuracy", "primary_metric_value", "sample_count", "best_epoch", "confusion.0.1", "confusion.2.2",
                     "per_class.circle.precision", "per_class.\(Self.hostileClass).roc_auc", "per_class.tri.angle.support",
                     "micro.precision", "macro.f1", "weighted.recall", "weighted.average_precision"] {
            #expect(paths.contains(path), "\(path)")
        }
        #expect(html.contains(#"<td class="num" data-metric="per_class.circle.precision">0.5000</td>"#))
        #expect(html.contains(#"data-metric="accuracy">0.5833<"#))
    }

    @Test func aSingleTrialHasNoSweepSection() throws {
        let only = Self.trial(0, .completed, reason: "completed", hyper: "{}", epochs: 3, best: 0.5833)
        let metrics = try Self.metricsJSON(classes: ["circle", "square", "triangle"])
        let report = JobReport(job: try Self.job(name: "single"), trials: [only],
                               epochs: [only.id: Self.epochs(only, count: 3, top: 0.6)], varying: [], bestTrial: 0,
                               bestMetrics: try Self.document(metrics))
        let html = report.html()
        Self.expectSelfContained(html)
        #expect(!html.contains("<h2>Sweep</h2>"))
        #expect(html.contains("<h2>Learning curves</h2>") && html.contains("<h2>Trials</h2>") && html.contains("<h2>Best trial #0</h2>"))
        #expect(try Self.compare(html, with: metrics).mismatches.isEmpty)
    }

    @Test func aMultilabelReportWithoutConfusionMatrixOrAccuracy() throws {
        let only = Self.trial(0, .completed, reason: "completed", hyper: "{}", epochs: 2, best: 0.456789)
        let metrics = try Self.metricsJSON(classes: ["cat", "dog", "bird"], multilabel: true)
        let report = JobReport(job: try Self.job(name: "tags", task: .imageClassificationMultilabel), trials: [only],
                               epochs: [only.id: Self.epochs(only, count: 2, top: 0.5)], varying: [], bestTrial: 0,
                               bestMetrics: try Self.document(metrics))
        let html = report.html()
        Self.expectSelfContained(html)
        #expect(!html.contains("Confusion matrix") && !html.contains("data-metric=\"confusion."))
        // Accuracy is multilabel's subset accuracy, named so.
        #expect(html.contains("subset accuracy") && html.contains("data-metric=\"accuracy\">0.2500<"))
        #expect(html.contains(#"data-metric="primary_metric_value">0.4568<"#))
        #expect(html.contains(#"data-metric="decision_threshold">0.5000<"#))
        #expect(html.contains("iou at each evaluation"))
        // dog has no ROC AUC: a dash, without data-metric.
        #expect(!html.contains("per_class.dog.roc_auc"))
        #expect(html.contains("<td class=\"num missing\">—</td>"))
        let (mismatches, paths) = try Self.compare(html, with: metrics)
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(paths.contains("per_class.bird.roc_auc") && paths.contains("macro.iou"))
    }

    /// A detector's report: COCO's numbers, the per-label table, PR curves, mAP and each loss per epoch, and the
    /// trainer's `examples.json` drawn as inline SVG over inlined thumbnails (true boxes dashed).
    @Test func aDetectionReportDrawsItsValidationImages() throws {
        let classes = ["circle", "square", "triangle"]
        let images = (0..<4).map { i -> EvaluationImage in
            let truth = EvaluationImage.Box(box: [10, 10, 40, 40], label: i % 3)
            let hit = EvaluationImage.Box(box: [11, 10, 41, 39], label: i % 3, score: 0.9)
            let miss = EvaluationImage.Box(box: [60, 60, 90, 90], label: (i + 1) % 3, score: 0.4)
            return EvaluationImage(width: 96, height: 96, truths: [truth], detections: [hit, miss])
        }
        let metrics = DetectionMetrics.evaluate(task: .imageObjectDetection, images: images, classes: classes, metricType: "coco_voc")
        let history = (1...3).map { e in
            EpochRecord(epoch: e, trainLoss: 1.0 / Double(e), learningRate: 0.01, imagesPerSecond: 1, seconds: 10,
                        metrics: ["mean_average_precision": 0.3 * Double(e)],
                        losses: ["loss_classifier": 0.5 / Double(e), "loss_box_reg": 0.2 / Double(e)])
        }
        let document = MetricsDocument(
            primaryMetric: .init(name: "mean_average_precision", value: metrics.primaryMetricValue), bestEpoch: 3, epochsRun: 3,
            stoppedEarly: false, complete: true, history: history, bestReport: .detection(metrics), task: .imageObjectDetection,
            modelName: .fasterrcnnResnet18FPN, classes: classes, trainImages: 12, validationImages: 4, seconds: 30,
            pretrainedWeights: nil, parameters: TrainingParameters.defaults(task: .imageObjectDetection, model: .fasterrcnnResnet18FPN))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-detect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]).write(to: dir.appendingPathComponent("example_0.png"))
        try DetectionExamples(images: [.init(name: "0007.png", thumbnail: "example_0.png", thumbnailWidth: 96, thumbnailHeight: 96,
                                             truths: [.init(box: [0.1, 0.1, 0.4, 0.4], label: 0, score: 1)],
                                             predictions: [.init(box: [0.11, 0.1, 0.42, 0.4], label: 1, score: 0.875)])])
            .write(to: dir.appendingPathComponent(DetectionExamples.fileName))
        let only = Self.trial(0, .completed, reason: "completed", hyper: "{}", epochs: 3, best: metrics.primaryMetricValue)
        let report = JobReport(job: try Self.job(name: "boxes", task: .imageObjectDetection), trials: [only],
                               epochs: [only.id: Self.epochs(only, count: 3, top: 0.9)], varying: [], bestTrial: 0,
                               bestMetrics: document, bestDirectory: dir)
        let html = report.html()
        Self.expectSelfContained(html)
        #expect(html.contains("COCO metrics") && html.contains("Per label"))
        #expect(html.contains("Precision-recall curve per label") && html.contains("mean_average_precision per epoch"))
        #expect(html.contains("Training losses per epoch") && html.contains("loss_classifier") && html.contains("loss_box_reg"))
        #expect(html.contains(String(format: "data-metric=\"primary_metric_value\">%.4f<", metrics.primaryMetricValue)), "\(metrics.primaryMetricValue)")
        // The example: the thumbnail inlined, the true box dashed, the prediction labelled with its class and score.
        #expect(html.contains("Validation images") && html.contains("<svg class=\"example\""))
        #expect(html.contains("data:image/png;base64,\(Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]).base64EncodedString())"))
        #expect(html.contains("stroke-dasharray") && html.contains(">square 0.88</text>"))
        #expect(!html.contains("Confusion matrix"))
    }

    @Test func aJobWithoutAModelStillHasAReport() throws {
        let trials = [
            Self.trial(0, .failed, reason: "trial crashed", hyper: #"{"learning_rate":0.01}"#, epochs: 0, best: nil),
            Self.trial(1, .outOfMemory, reason: "out of memory", hyper: #"{"learning_rate":0.02}"#, epochs: 0, best: nil),
        ]
        let report = JobReport(job: try Self.job(name: "broken", state: .failed, reason: "every trial failed"),
                               trials: trials, epochs: [:], varying: ["learning_rate"], bestTrial: nil, bestMetrics: nil)
        let html = report.html()
        Self.expectSelfContained(html)
        #expect(html.contains("No trial produced a model.") && html.contains("No trial recorded an epoch."))
        #expect(html.contains("every trial failed") && html.contains(">OUT_OF_MEMORY</span>"))
        #expect(!html.contains("data-metric"))
    }

    @Test func numbersAndTicks() {
        #expect(HTMLEscaping.escape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;")
        #expect(ReportFormat.fixed(0.25) == "0.2500" && ReportFormat.fixed(nil) == "—" && ReportFormat.fixed(.nan) == "—")
        #expect(SVGChart.Scale.niceStep(1) == 0.2 && SVGChart.Scale.niceStep(0.37) == 0.1)
        #expect(SVGChart.Scale.fitting([0.31, 0.77]).ticks.map(\.label) == ["0.3", "0.4", "0.5", "0.6", "0.7", "0.8"])
        // Both ends of a fitted axis carry a tick.
        let ends = SVGChart.Scale.fitting([0.1375, 0.5599]).ticks.map(\.label)
        #expect(ends.first == "0.1" && ends.last == "0.6", "\(ends)")
        if case let .log(lower, upper) = SVGChart.Scale.numeric([0.0001, 0.05]) { #expect(lower == -4 && upper == -1) } else {
            Issue.record("0.0001..0.05 spans more than two decades: a log axis")
        }
        if case .linear = SVGChart.Scale.numeric([8, 16, 64]) {} else { Issue.record("8..64 is linear") }
        #expect(SVGChart.Scale.linear(lower: 1, upper: 3, integer: true).ticks.map(\.label) == ["1", "2", "3"])
    }

    // MARK: Headless Chromium

    static func chromium() throws -> URL {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        throw TestFailure("chromium is not installed: run scripts/setup.sh --test (it installs Debian's chromium)")
    }

    /// Chromium on `page`: the screenshot's path and the dumped DOM; fails on any console message.
    static func render(_ page: URL, in dir: URL) throws -> (screenshot: URL, dom: String) {
        let browser = try chromium()
        let shot = dir.appendingPathComponent(page.deletingPathExtension().lastPathComponent + ".png")
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                      "--user-data-dir=\(dir.appendingPathComponent("chromium-profile").path)"]
        let timeout = URL(fileURLWithPath: "/usr/bin/timeout")
        let pictured = try RunnerSupport.run(timeout, ["120", browser.path] + common
            + ["--screenshot=\(shot.path)", "--window-size=1200,2000", page.absoluteString])
        #expect(pictured.status == 0, "chromium --screenshot: \(pictured.stderr.suffix(2000))")
        let dumped = try RunnerSupport.run(timeout, ["120", browser.path] + common + ["--dump-dom", page.absoluteString])
        #expect(dumped.status == 0, "chromium --dump-dom: \(dumped.stderr.suffix(2000))")
        for line in (pictured.stderr + dumped.stderr).split(separator: "\n")
        where line.contains("CONSOLE") || line.contains("Uncaught") {
            Issue.record("console: \(line)")
        }
        return (shot, dumped.stdout)
    }

    /// The screenshot's size, colours and inked pixels, by Python's PIL.
    static func pixels(_ png: URL) throws -> (width: Int, height: Int, colours: Int, inked: Double, saturated: Int) {
        let script = """
            import sys
            from PIL import Image
            im = Image.open(sys.argv[1]).convert("RGB")
            px = list(im.getdata())
            counts = {}
            for p in px: counts[p] = counts.get(p, 0) + 1
            background = max(counts, key=counts.get)
            inked = sum(1 for p in px if p != background and p != (255, 255, 255))
            saturated = sum(1 for p in px if max(p) - min(p) > 80)
            print(im.size[0], im.size[1], len(counts), inked / len(px), saturated)
            """
        let result = try RunnerSupport.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", script, png.path])
        guard result.status == 0 else {
            throw TestFailure("cannot read \(png.path) with PIL (scripts/setup.sh --test installs python3-pil): \(result.stderr)")
        }
        let fields = result.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard fields.count == 5, let w = Int(fields[0]), let h = Int(fields[1]), let c = Int(fields[2]),
              let inked = Double(fields[3]), let s = Int(fields[4]) else { throw TestFailure("PIL said \(result.stdout)") }
        return (w, h, c, inked, s)
    }

    /// A real sweep (three grid trials of two epochs, a bandit policy) through `spoolctl serve --once`; its
    /// outbox's report.html in Chromium: no console message, a picture with charts in it, every number equal
    /// to the outbox's metrics.json. Then the hand-made sweep, whose class name `<b>&"` must reach the DOM
    /// intact.
    @Test func aRealSweepsReportRendersInChromium() throws {
        _ = try Self.chromium()
        let dir = try RunnerSupport.temporaryDirectory("job-report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = try RunnerSupport.bundle(in: dir, name: "report", epochs: 2)
        let settingsURL = bundle.appendingPathComponent("settings.yaml")
        let settings = try String(contentsOf: settingsURL, encoding: .utf8)
            .replacingOccurrences(of: "limits: {timeout_minutes: 30}\n", with: "") + """

            limits: {timeout_minutes: 30, max_trials: 3, max_concurrent_trials: 2}
            sweep:
              sampling_algorithm: grid
              early_termination: {type: bandit, slack_amount: 0.001, evaluation_interval: 1, delay_evaluation: 1}
            search_space:
              - learning_rate: "choice(0.05, 0.0001)"
                optimizer: "choice('sgd', 'adamw')"
            """
        try settings.write(to: settingsURL, atomically: true, encoding: .utf8)
        #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path])
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        let outbox = URL(fileURLWithPath: try #require(job.outbox))
        let page = outbox.appendingPathComponent("report.html")
        let metrics = try Data(contentsOf: outbox.appendingPathComponent("metrics.json"))
        let jobDocument = try JobDocument.read(from: outbox.appendingPathComponent(JobDocument.fileName))
        #expect(jobDocument.outboxFiles.contains("report.html"))

        let html = try String(contentsOf: page, encoding: .utf8)
        Self.expectSelfContained(html)
        #expect(html.contains("<h2>Sweep</h2>") && html.contains("<h3>Confusion matrix</h3>"))
        for number in 0..<3 { #expect(html.contains("trial \(number)"), "trial \(number)") }

        let keep = ProcessInfo.processInfo.environment["SPOOL_REPORT_KEEP"].map { URL(fileURLWithPath: $0) }
        let (shot, dom) = try Self.render(page, in: dir)
        if let keep {
            try? FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true)
            for (name, source) in [("real-report.html", page), ("real-report.png", shot)] {
                try? FileManager.default.removeItem(at: keep.appendingPathComponent(name))
                try? FileManager.default.copyItem(at: source, to: keep.appendingPathComponent(name))
            }
        }
        let picture = try Self.pixels(shot)
        #expect(picture.width == 1200 && picture.height == 2000, "\(picture)")
        #expect(picture.colours > 50, "a blank page? \(picture)")
        #expect(picture.inked > 0.05, "a blank page? \(picture)")
        #expect(picture.saturated > 2000, "no coloured lines or marks? \(picture)")

        let (mismatches, paths) = try Self.compare(dom, with: metrics)
        #expect(mismatches.isEmpty, "\(mismatches)")
        // The trainer's new fields, the validation images it chose, and the index the daemon rewrote.
        #expect(paths.filter { $0.hasPrefix("class_counts.train.") }.count == 3 && paths.filter { $0.hasPrefix("class_counts.validation.") }.count == 3)
        for path in ["epochs_run", "history.0.validation_loss",
                     "history.1.learning_rate", "training_parameters.learning_rate", "split.split_ratio"] {
            #expect(paths.contains(path), "\(path)")
        }
        #expect(dom.contains("<h2>What was trained</h2>") && dom.contains("<h2>Data</h2>") && dom.contains("<code>cpu</code>"))
        #expect(dom.contains("<h2>Validation images</h2>") && dom.contains("src=\"data:image/png;base64,") && dom.contains("data-truth"))
        #expect(dom.contains("<svg class=\"parallel\""))
        let index = try String(contentsOf: spool.appendingPathComponent("outbox/index.html"), encoding: .utf8)
        let jobID = job.id
        #expect(index.contains("href=\"\(jobID)/report.html\""), "index.html links the report")
        if let keep {
            try? FileManager.default.removeItem(at: keep.appendingPathComponent("index.html"))
            try? FileManager.default.copyItem(at: spool.appendingPathComponent("outbox/index.html"), to: keep.appendingPathComponent("index.html"))
        }
        let document = try ContractCoding.decoder().decode(MetricsDocument.self, from: metrics)
        let classes = try #require(document.bestReport.classification?.classNames)
        #expect(classes.count == 3)
        var expected: Set<String> = ["accuracy", "primary_metric_value", "sample_count", "best_epoch"]
        for (i, name) in classes.enumerated() {
            for key in ["precision", "recall", "f1", "iou", "support"] { expected.insert("per_class.\(name).\(key)") }
            for j in classes.indices { expected.insert("confusion.\(i).\(j)") }
        }
        for average in ["micro", "macro", "weighted"] {
            for key in ["precision", "recall", "f1", "iou"] { expected.insert("\(average).\(key)") }
        }
        #expect(expected.subtracting(paths).isEmpty, "missing from the DOM: \(expected.subtracting(paths).sorted())")

        // The hand-made sweep: the hostile class name survives the browser's parsing as text.
        let (report, handMetrics) = try Self.sweepReport()
        let handPage = dir.appendingPathComponent("hand-report.html")
        try report.data().write(to: handPage)
        let (handShot, handDOM) = try Self.render(handPage, in: dir)
        if let keep {
            for (name, source) in [("hand-report.html", handPage), ("hand-report.png", handShot)] {
                try? FileManager.default.removeItem(at: keep.appendingPathComponent(name))
                try? FileManager.default.copyItem(at: source, to: keep.appendingPathComponent(name))
            }
        }
        let hand = try Self.compare(handDOM, with: handMetrics)
        #expect(hand.mismatches.isEmpty, "\(hand.mismatches)")
        #expect(hand.paths.contains("per_class.\(Self.hostileClass).precision"))
        #expect(!handDOM.contains("<b>"), "the class name became markup")
        #expect(try Self.pixels(handShot).saturated > 2000)
    }
}
