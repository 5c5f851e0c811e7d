import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolStore
import Testing
@testable import SpoolRunner

/// The report's sections that answer a new user's first questions: what was trained, on what data, curves,
/// validation images, how to use the model, the warnings, parallel coordinates, and the outbox's index.
extension JobReportTests {
    /// A one-trial report of `metrics` (with its best trial's folder, when given).
    static func singleReport(_ metrics: Data, directory: URL? = nil, outbox: URL? = nil, name: String = "single") throws -> JobReport {
        let document = try Self.document(metrics)
        let only = Self.trial(0, .completed, reason: "completed", hyper: "{}", epochs: document.history.count,
                              best: document.bestReport.primaryValue)
        let rows = document.history.map {
            EpochMetric(trialID: only.id, epoch: $0.epoch, trainLoss: $0.trainLoss, validationLoss: $0.validationLoss,
                        primaryMetric: $0.metrics?[document.primaryMetric.name])
        }
        return JobReport(job: try Self.job(name: name), trials: [only], epochs: [only.id: rows], varying: [], bestTrial: 0,
                         bestMetrics: document, bestDirectory: directory, outboxDirectory: outbox,
                         generatedAt: Date(timeIntervalSinceReferenceDate: 757_382_600))
    }

    /// Every element with `data-parameter` as (key, text).
    static func parameterElements(_ html: String) throws -> [String: String] {
        let pattern = try NSRegularExpression(pattern: #"data-parameter="([^"]*)"[^>]*>([^<]*)<"#)
        var out: [String: String] = [:]
        for match in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            out[unescape(String(html[Range(match.range(at: 1), in: html)!]))] = unescape(String(html[Range(match.range(at: 2), in: html)!]))
        }
        return out
    }

    /// The header: from `<header` to `</header>`.
    static func header(_ html: String) -> String {
        guard let start = html.range(of: "<header"), let end = html.range(of: "</header>") else { return "" }
        return String(html[start.lowerBound..<end.upperBound])
    }

    @Test func whatWasTrainedAndOnWhatDataEqualMetricsJSON() throws {
        let classes = ["circle", "square", "tri.angle"]
        let metrics = try Self.metricsJSON(classes: classes)
        let html = try Self.singleReport(metrics).html()
        Self.expectSelfContained(html)
        for section in ["What was trained", "Data", "Learning curves", "How to use this model"] {
            #expect(html.contains("<h2>\(section)</h2>"), "\(section)")
        }
        #expect(html.contains("<code>resnet18</code>") && html.contains("resnet18.safetensors") && !html.contains("from scratch"))
        #expect(html.contains("<code>cpu</code>") && html.contains("2.1.2"))
        // Every hyperparameter of metrics.json, each shown as written there.
        // The parameters as written in the file (every key), not as `TrainingParameters` reads them.
        let document = try JSONDecoder().decode([String: SettingValue].self, from: metrics)
        let given = try #require(document["training_parameters"]?.mapValue)
        let shown = try Self.parameterElements(html)
        #expect(Set(shown.keys) == Set(given.keys), "missing: \(Set(given.keys).subtracting(shown.keys).sorted())")
        for (key, value) in given { #expect(shown[key] == JobReport.describe(value), "\(key): \(shown[key] ?? "none") vs \(value)") }
        #expect(shown["optimizer"] == "sgd", "\(shown["optimizer"] ?? "none")")
        // What a classifier does not use (an R-CNN's NMS threshold) is folded away below what it does.
        let folded = html.components(separatedBy: "<details class=\"unused-params\">")
        #expect(folded.count == 2)
        if folded.count == 2 {
            #expect(folded[1].contains(#"data-parameter="box_nms_thresh""#) && !folded[1].contains(#"data-parameter="learning_rate""#))
            #expect(folded[0].contains(#"data-parameter="learning_rate""#) && !folded[0].contains(#"data-parameter="box_nms_thresh""#))
        }
        // Numbers: all equal to the file, and the new ones all there.
        let (mismatches, paths) = try Self.compare(html, with: metrics)
        #expect(mismatches.isEmpty, "\(mismatches)")
        var expected: Set<String> = ["epochs_run", "seconds", "mean(history.seconds)", "train_images", "validation_images",
                                     "split.split_ratio", "split.seed", "training_parameters.learning_rate",
                                     "training_parameters.number_of_epochs"]
        for name in classes { expected.formUnion(["class_counts.train.\(name)", "class_counts.validation.\(name)"]) }
        for i in 0..<4 {
            expected.formUnion(["history.\(i).train_loss", "history.\(i).validation_loss", "history.\(i).learning_rate",
                                "history.\(i).seconds", "history.\(i).metrics.accuracy"])
        }
        #expect(expected.subtracting(paths).isEmpty, "missing: \(expected.subtracting(paths).sorted())")
        #expect(html.contains(#"data-metric="class_counts.validation.tri.angle">5<"#))
        #expect(html.contains(#"data-metric="mean(history.seconds)">10.12<"#))
        // One trial: train and validation loss on one chart (validation dashed), and the learning rate.
        #expect(html.contains("train and validation loss per epoch") && html.contains("stroke-dasharray:5 4"))
        #expect(html.contains("learning rate per epoch"))
        // A good result: no warning, the state a success.
        #expect(!Self.header(html).contains("callout") && Self.header(html).contains("state-completed"))
    }

    @Test func aResultNoBetterThanChanceIsFlagged() throws {
        // 0.3333 on 3 balanced classes: what guessing gets. metrics.json's chance_level is cited.
        let level: [String: Any] = ["value": 1.0 / 3.0, "rule": "guessing among 3 classes (1/3)"]
        let metrics = try Self.metricsJSON(classes: ["a", "b", "c"], accuracy: 1.0 / 3.0, supports: [4, 4, 4],
                                           extra: ["chance_level": level])
        let html = try Self.singleReport(metrics).html()
        let header = Self.header(html)
        #expect(header.contains("No better than chance") && header.contains("callout danger"))
        #expect(!header.contains("state-completed"), "a chance result is not shown as a success")
        #expect(header.contains("state-warning") && header.contains("class=\"flagged\""))
        #expect(header.contains(#"data-metric="chance_level.value">0.3333<"#))
        #expect(try Self.compare(html, with: metrics).mismatches.isEmpty)
        // An older metrics.json (no chance_level): the most frequent class's share of the supports, 0.5 here.
        let older = try Self.metricsJSON(classes: ["a", "b", "c"], accuracy: 0.5, supports: [6, 3, 3])
        let olderHTML = try Self.singleReport(older).html()
        #expect(Self.header(olderHTML).contains("No better than chance") && olderHTML.contains("always answering &#39;a&#39;"))
        // Just above it: no warning.
        let better = try Self.metricsJSON(classes: ["a", "b", "c"], accuracy: 0.5834, supports: [6, 3, 3])
        #expect(!Self.header(try Self.singleReport(better).html()).contains("callout"))
    }

    @Test func aDivergedLossIsFlagged() throws {
        let metrics = try Self.metricsJSON(classes: ["a", "b", "c"], trainLosses: [0.9, 1.1, 1.6, 2.4])
        let html = try Self.singleReport(metrics).html()
        let header = Self.header(html)
        #expect(header.contains("The loss diverged") && !header.contains("state-completed"))
        #expect(header.contains(#"data-metric="history.0.train_loss">0.9000<"#) && header.contains(#"data-metric="history.3.train_loss">2.4000<"#))
        #expect(try Self.compare(html, with: metrics).mismatches.isEmpty)
        // A falling loss is no warning.
        #expect(!Self.header(try Self.singleReport(try Self.metricsJSON(classes: ["a", "b", "c"])).html()).contains("diverged"))
    }

    @Test func chanceLevels() {
        let images = [[0], [0], [0], [1], [2]].map { LabeledImage(path: "x", labels: $0) }
        let multiclass = ChanceLevel.of(task: .imageClassification, classes: ["a", "b", "c"], validation: images)
        #expect(multiclass?.value == 0.6 && multiclass?.rule.contains("'a'") == true)
        let balanced = [[0], [1], [2], [3]].map { LabeledImage(path: "x", labels: $0) }
        #expect(ChanceLevel.of(task: .imageClassification, classes: ["a", "b", "c", "d"], validation: balanced)?.value == 0.25)
        // Multilabel: always {a} gives (1 + 1 + 1/2 + 0) / 4, {a, b} (1/2 + 1/2 + 1 + 1/2) / 4 (a tie: the
        // smaller set), {} 0; with a fifth image {a, b}, the pair wins.
        var tags = [[0], [0], [0, 1], [1]].map { LabeledImage(path: "x", labels: $0) }
        let multilabel = ChanceLevel.of(task: .imageClassificationMultilabel, classes: ["a", "b"], validation: tags)
        #expect(multilabel?.value == 0.625 && multilabel?.rule.contains("'a' (") == true, "\(String(describing: multilabel))")
        tags.append(LabeledImage(path: "x", labels: [0, 1]))
        let pair = ChanceLevel.of(task: .imageClassificationMultilabel, classes: ["a", "b"], validation: tags)
        #expect(pair?.value == 0.7 && pair?.rule.contains("'a', 'b'") == true, "\(String(describing: pair))")
        #expect(ChanceLevel.of(task: .imageObjectDetection, classes: ["a"], validation: tags) == nil)
    }

    @Test func examplesPutTheMostConfidentMistakesFirst() {
        // Five images of two classes: #1 wrong at 0.9, #3 wrong at 0.6, #0 right at 0.8, #2 right at 0.95, #4 right at 0.55.
        let probabilities: [Float] = [0.8, 0.2, 0.1, 0.9, 0.95, 0.05, 0.4, 0.6, 0.55, 0.45]
        let picks = ClassificationExamples.select(probabilities: probabilities, classCount: 2, truths: [[0], [0], [0], [0], [0]],
                                                  multilabel: false, count: 4)
        #expect(picks.map(\.index) == [1, 3, 2, 0])
        #expect(picks.map(\.correct) == [false, false, true, true] && picks[0].predicted == [1] && picks[0].confidence == Double(Float(0.9)))
        #expect(picks[0].scores.map(\.label) == [1, 0])
        // At most six mistakes while correct answers can fill the rest; more when they cannot.
        let many: [Float] = (0..<10).flatMap { _ -> [Float] in [0.1, 0.9] } + [0.9, 0.1, 0.8, 0.2]
        let chosen = ClassificationExamples.select(probabilities: many, classCount: 2, truths: Array(repeating: [0], count: 12), multilabel: false)
        #expect(chosen.count == 8 && chosen.filter(\.correct).count == 2)
        // Multilabel: a mistake is any wrong decision at 0.5.
        let tags = ClassificationExamples.select(probabilities: [0.9, 0.7, 0.9, 0.2], classCount: 2, truths: [[0], [0]], multilabel: true)
        #expect(tags.map(\.index) == [0, 1] && tags[0].predicted == [0, 1] && !tags[0].correct && tags[1].correct)
    }

    @Test func validationImagesShowTheirLabelsAndMarkMistakes() throws {
        let classes = ["circle", "square", "triangle"]
        let metrics = try Self.metricsJSON(classes: classes)
        let dir = try RunnerSupport.temporaryDirectory("report-examples")
        defer { try? FileManager.default.removeItem(at: dir) }
        let png = Data([0x89, 0x50, 0x4E, 0x47, 9, 9, 9])
        try png.write(to: dir.appendingPathComponent("example_0.png"))
        try png.write(to: dir.appendingPathComponent("example_1.png"))
        try ClassificationExamples(images: [
            .init(name: "0003.png", thumbnail: "example_0.png", thumbnailWidth: 64, thumbnailHeight: 48, truths: [0], predicted: [2],
                  scores: [.init(label: 2, score: 0.91), .init(label: 0, score: 0.07)], correct: false, confidence: 0.91),
            .init(name: "0004.png", thumbnail: "example_1.png", thumbnailWidth: 64, thumbnailHeight: 64, truths: [1], predicted: [1],
                  scores: [.init(label: 1, score: 0.88)], correct: true, confidence: 0.88),
        ]).write(to: dir.appendingPathComponent(ClassificationExamples.fileName))
        let html = try Self.singleReport(metrics, directory: dir).html()
        Self.expectSelfContained(html)
        #expect(html.contains("<h2>Validation images</h2>"))
        #expect(html.components(separatedBy: "src=\"data:image/png;base64,\(png.base64EncodedString())\"").count == 3)
        #expect(html.contains(#"data-example="mistake""#) && html.contains(#"data-example="correct""#))
        #expect(html.range(of: "data-example=\"mistake\"")!.lowerBound < html.range(of: "data-example=\"correct\"")!.lowerBound)
        #expect(html.contains("<span data-truth>circle</span>") && html.contains("<strong data-predicted>triangle</strong>"))
        #expect(html.contains("triangle <span class=\"score\">0.91</span>") && html.contains("✗ wrong") && html.contains("✓ right"))
    }

    @Test func theUsageCommandsParseWithTheRealArguments() throws {
        let outbox = URL(fileURLWithPath: "/srv/spool dir/outbox/j-20250101-0007")
        let html = try Self.singleReport(try Self.metricsJSON(classes: ["a", "b"]), outbox: outbox).html()
        let pattern = try NSRegularExpression(pattern: #"<code data-command="([^"]+)">([^<]*)</code>"#)
        var commands: [String: [String]] = [:]
        for match in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            commands[String(html[Range(match.range(at: 1), in: html)!])] = try Self.shellWords(Self.unescape(String(html[Range(match.range(at: 2), in: html)!])))
        }
        #expect(Set(commands.keys) == ["score", "serve-model", "curl", "curl-v2", "score.py"])
        let model = outbox.path + "/model"
        let score = try #require(commands["score"])
        #expect(Array(score.prefix(2)) == ["spoolctl", "score"])
        let scoreArguments = try ScoreArguments.parse(Array(score.dropFirst(2)))
        #expect(scoreArguments.model == model && scoreArguments.inputs == ["photos/"] && scoreArguments.jsonl == "scores.jsonl")
        let serve = try #require(commands["serve-model"])
        #expect(Array(serve.prefix(2)) == ["spoolctl", "serve-model"])
        let serveArguments = try ServeModelArguments.parse(Array(serve.dropFirst(2)))
        #expect(serveArguments.model == model && serveArguments.port == 8080)
        // The server's route and the port it listens on; v2's JSON as ScoringServer reads it.
        #expect(commands["curl"] == ["curl", "--data-binary", "@image.jpg", "http://127.0.0.1:8080/score"])
        let v2 = try #require(commands["curl-v2"])
        #expect(v2.contains("Content-Type: application/json") && v2.last == "http://127.0.0.1:8080/score")
        #expect(v2.contains(#"{"input_data": {"columns": ["image"], "data": ["$(base64 -w0 image.jpg)"]}}"#), "\(v2)")
        #expect(commands["score.py"] == ["python3", model + "/score.py", "image.jpg"])
    }

    /// A command line as a POSIX shell splits it: single and double quotes, no expansion.
    static func shellWords(_ line: String) throws -> [String] {
        var words: [String] = [], word = "", inWord = false
        var quote: Character?
        for c in line {
            if let q = quote {
                if c == q { quote = nil } else { word.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == " " {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(c)
                inWord = true
            }
        }
        guard quote == nil else { throw TestFailure("unclosed quote in \(line)") }
        if inWord { words.append(word) }
        return words
    }

    @Test func aSweepHasParallelCoordinatesAndReadableCurves() throws {
        let (report, metrics) = try Self.sweepReport()
        let html = report.html()
        Self.expectSelfContained(html)
        #expect(html.contains("<svg class=\"parallel\""))
        // One line per trial with values (the failed one, without a metric, dashed); the best gold, on top.
        for number in 0...3 { #expect(html.contains("data-trial=\"\(number)\""), "trial \(number)") }
        let parallel = try #require(html.range(of: "<svg class=\"parallel\"").flatMap { start in
            html.range(of: "</svg>", range: start.upperBound..<html.endIndex).map { String(html[start.lowerBound..<$0.upperBound]) }
        })
        #expect(parallel.range(of: "data-trial=\"3\"")!.lowerBound > parallel.range(of: "data-trial=\"0\"")!.lowerBound)
        #expect(parallel.contains("stroke:#f5b700") && parallel.contains("stroke-dasharray:5 4"))
        // An axis per varying hyperparameter and the metric.
        for axis in ["learning_rate", "optimizer", "best accuracy"] { #expect(parallel.contains(">\(axis)</text>"), "\(axis)") }
        // Curves: train and validation loss side by side, the others thin and translucent under the best.
        #expect(html.contains("train loss per epoch") && html.contains("validation loss per epoch"))
        #expect(html.contains("stroke-width:1.3;opacity:0.45") && html.contains("stroke-width:3.4"))
        #expect(try Self.compare(html, with: metrics).mismatches.isEmpty)
    }

    @Test func theIndexListsEveryJobAndIsRewritten() throws {
        let root = try RunnerSupport.temporaryDirectory("outbox-index")
        defer { try? FileManager.default.removeItem(at: root) }
        let layout = SpoolLayout(root: root)
        try layout.create()
        let store = try JobStore(path: layout.database.path)
        func add(_ name: String, report: Bool) throws -> String {
            guard case let .queued(job) = try store.enqueue(job: NewJob(name: name, task: .imageClassification, bundlePath: name)) else {
                throw TestFailure("not queued")
            }
            _ = try store.claimNext(owner: "d", leaseSeconds: 60)
            try store.finish(jobID: job.id, owner: "d", state: .completed, reason: "completed",
                             best: BestMetric(name: "accuracy", value: 0.875), outbox: layout.outbox(job.id).path)
            if report {
                try FileManager.default.createDirectory(at: layout.outbox(job.id), withIntermediateDirectories: true)
                try Data("<!DOCTYPE html>".utf8).write(to: layout.outbox(job.id).appendingPathComponent("report.html"))
            }
            return job.id
        }
        let index = layout.outbox.appendingPathComponent("index.html")
        let first = try add("first <job>", report: true)
        try OutboxIndex(layout: layout).write(store: store, generatedAt: Date(timeIntervalSinceReferenceDate: 0))
        var html = try String(contentsOf: index, encoding: .utf8)
        Self.expectSelfContained(html)
        #expect(html.contains("href=\"\(first)/report.html\"") && html.contains("first &lt;job&gt;") && html.contains("0.8750"))
        let second = try add("second", report: false)
        try OutboxIndex(layout: layout).write(store: store, generatedAt: Date(timeIntervalSinceReferenceDate: 0))
        html = try String(contentsOf: index, encoding: .utf8)
        #expect(html.contains(">\(second)<") && !html.contains("href=\"\(second)/report.html\""), "no report, no link")
        #expect(html.components(separatedBy: "class=\"job-row\"").count == 3 && html.contains("2 jobs"))
    }
}
