import Foundation
import SpoolCore
@testable import SpoolRunner
import Testing

/// What `spoolctl validate` and the spool's intake report from the bundle's files alone (the image probe is
/// SpoolTrainingTests'): one problem where one mistake explains every line.
@Suite struct BundleValidatorTests {
    @Test func multilabelDataUnderMulticlassIsOneProblemNotSixteenAndNoImageCount() throws {
        let dir = try RunnerSupport.temporaryDirectory("spool-validator")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("task: image_classification\ntraining_data: {path: train.jsonl}\n".utf8)
            .write(to: dir.appendingPathComponent("settings.yaml"))
        let lines = (0..<16).map { #"{"image_url": "images/\#($0).png", "label": ["cat", "dog"]}"# }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("train.jsonl"))
        let report = BundleValidator(trainer: nil).validate(bundleRoot: dir, displayName: "photos")
        let fromFiles = report.problems.filter { !$0.contains("spool-trainer") }
        #expect(fromFiles.count == 1, "\(report.problems)")
        #expect(fromFiles.first?.hasPrefix("train.jsonl:1: label: is a list of class names on 16 lines") == true, "\(fromFiles)")
        #expect(fromFiles.first?.contains("image_classification_multilabel") == true)
        #expect(!report.problems.contains { $0.contains("at least 10") }, "\(report.problems)")
    }
}
