import Foundation
import SpoolCore
@testable import SpoolRunner
import Testing

/// `spoolctl validate`'s time per epoch, from what the probe measured: training steps for the training images,
/// the validation pass for the validation images, the resume checkpoint, at the job's batch and memory format (said on the line); and
/// advice for another model only when that model was measured faster.
@Suite struct BundleSummaryTests {
    static func bundle(in dir: URL) throws -> (JobBundle, TrainingParameters) {
        try Data("task: image_classification\ntraining_data: {path: train.jsonl}\ntraining_parameters: {training_batch_size: 8, split_ratio: 0.25}\n".utf8)
            .write(to: dir.appendingPathComponent("settings.yaml"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
        var lines: [String] = []
        for i in 0..<40 {
            try Data([0x89]).write(to: dir.appendingPathComponent("images/\(i).png"))
            lines.append(#"{"image_url": "images/\#(i).png", "label": "\#(i % 2 == 0 ? "cat" : "dog")"}"#)
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("train.jsonl"))
        let inspection = try JobBundle.inspect(directory: dir)
        let bundle = try #require(inspection.bundle, "\(inspection.problems)")
        return (bundle, try bundle.settings.firstTrialParameters())
    }

    @Test func anEpochIsItsTrainingStepsAndItsValidationPassAtTheJobsBatch() throws {
        let dir = try RunnerSupport.temporaryDirectory("spool-summary")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (bundle, parameters) = try Self.bundle(in: dir)
        var probe = ProbeReport(secondsPerImage: 0.5, device: "cpu, 2 threads")
        probe.validationSecondsPerImage = 0.1
        probe.measuredBatch = 8
        probe.memoryFormat = "channels_last"
        probe.checkpointSeconds = 0.4
        let summary = BundleSummary(bundle: bundle, parameters: parameters, probe: probe)
        #expect(summary.trainImages == 30 && summary.validationImages == 10)
        #expect(summary.secondsPerEpoch == 30 * 0.5 + 10 * 0.1 + 0.4)
        let time = summary.lines.first { $0.hasPrefix("time") } ?? ""
        #expect(time == "time        about 16 s per epoch on this machine (cpu, 2 threads, batch 8, channels_last), about 4 min per trial",
                "\(time)")
    }

    @Test func anotherModelIsAdvisedOnlyWhenItWasMeasuredFaster() throws {
        let dir = try RunnerSupport.temporaryDirectory("spool-summary")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (bundle, parameters) = try Self.bundle(in: dir)
        var probe = ProbeReport(secondsPerImage: 0.5, device: "cpu, 2 threads")
        probe.alternative = .init(model: "resnet18", secondsPerImage: 0.1, validationSecondsPerImage: 0.05, reason: "on a CPU and from scratch")
        let faster = BundleSummary(bundle: bundle, parameters: parameters, probe: probe)
        #expect(faster.advice?.contains("resnet18 takes about 3.5 s") == true, "\(faster.advice ?? "no advice")")
        probe.alternative = .init(model: "resnet18", secondsPerImage: 1.0, validationSecondsPerImage: 0.3, reason: "on a CPU and from scratch")
        let slower = BundleSummary(bundle: bundle, parameters: parameters, probe: probe)
        #expect(slower.advice == nil, "advised a model measured twice as slow: \(slower.advice ?? "")")
    }
}
