import Foundation
import Testing
@testable import SpoolCore

/// What reading a bundle reports before anything trains: every problem of every file at once, the labels as a
/// whole, where images are looked for, Azure's MLTable folders. (Image decoding is the trainer's probe:
/// SpoolTrainingTests.)
@Suite struct BundleInspectionTests {
    /// A bundle folder with `lines` as train.jsonl and an (empty) image file for each of `images`.
    static func bundle(_ lines: [String], images: [String], task: String = "image_classification",
                       extra: String = "") throws -> URL {
        let dir = try makeTemporaryDirectory()
        try write("task: \(task)\ntraining_data: {path: train.jsonl}\n\(extra)", to: "settings.yaml", in: dir)
        try write(lines.joined(separator: "\n") + "\n", to: "train.jsonl", in: dir)
        for image in images {
            let url = dir.appendingPathComponent(image)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data([0]).write(to: url)
        }
        return dir
    }

    static func line(_ url: String, _ label: String) -> String { #"{"image_url": "\#(url)", "label": "\#(label)"}"# }

    @Test func aSingleClassIsRejected() throws {
        let names = (0..<12).map { "images/\($0).png" }
        let dir = try Self.bundle(names.map { Self.line($0, "cat") }, images: names)
        defer { try? FileManager.default.removeItem(at: dir) }
        let inspection = try JobBundle.inspect(directory: dir)
        #expect(inspection.problems.count == 1)
        #expect(inspection.problems.first?.contains("only the class 'cat'") == true, "\(inspection.problems)")
        #expect(inspection.problems.first?.contains("two classes or more") == true)
        // Training directly refuses it too.
        #expect(throws: TrainingError.self) { try inspection.bundle!.trainingData(splitRatio: 0.2, seed: 1) }
    }

    @Test func multilabelNeedsAPositiveLabel() throws {
        let names = (0..<12).map { "images/\($0).png" }
        let dir = try Self.bundle(names.map { #"{"image_url": "\#($0)", "label": []}"# }, images: names,
                                  task: "image_classification_multilabel")
        defer { try? FileManager.default.removeItem(at: dir) }
        let problems = try JobBundle.inspect(directory: dir).problems
        #expect(problems == ["train.jsonl: no image has a label; multilabel classification needs at least one positive label (\"label\": [\"name\", ...])"])
    }

    @Test func pathErrorsDoNotHideMissingImages() throws {
        let lines = [Self.line("../outside.png", "a"), Self.line("/etc/passwd", "b"), Self.line("images/missing.png", "a"),
                     Self.line("images/here.png", "b"), Self.line("images/gone.png", "b")]
        let dir = try Self.bundle(lines, images: ["images/here.png"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let problems = try JobBundle.inspect(directory: dir).problems
        #expect(problems.count == 4, "\(problems)")
        #expect(problems[0].hasPrefix("train.jsonl:1: image_url: must be a relative path"))
        #expect(problems[1].hasPrefix("train.jsonl:2: image_url: must be a relative path"))
        #expect(problems[2] == "train.jsonl:3: image_url: images/missing.png is not in the bundle")
        #expect(problems[3] == "train.jsonl:5: image_url: images/gone.png is not in the bundle")
    }

    @Test func everyImageMissingSaysWhereItLookedAndWhatToDo() throws {
        let names = (0..<4).map { "photos/\($0).jpg" }
        let dir = try Self.bundle(names.map { Self.line($0, "a") }, images: [])
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
        let problems = try JobBundle.inspect(directory: dir).problems
        #expect(problems.count == 1, "\(problems)")
        let text = try #require(problems.first)
        #expect(text.contains("none of the 4 images"))
        #expect(text.contains("train.jsonl:1 names photos/0.jpg"))
        #expect(text.contains("Looked in: the bundle folder, images/"))
        #expect(text.contains("Put the images in the bundle's images/ folder"))
    }

    @Test func anImagesArchiveHoldingTheFolderItselfResolves() throws {
        // `tar cf images.tar images/` unpacked into images/ gives images/images/NAME.
        let dir = try Self.bundle([Self.line("0.png", "a"), Self.line("images/1.png", "b")],
                                  images: ["images/images/0.png", "images/images/1.png"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let inspection = try JobBundle.inspect(directory: dir)
        #expect(inspection.problems.isEmpty, "\(inspection.problems)")
        let bundle = try #require(inspection.bundle)
        #expect(bundle.imagePath(bundle.trainRecords[0]).hasSuffix("/images/images/0.png"))
        #expect(bundle.imagePath(bundle.trainRecords[1]).hasSuffix("/images/images/1.png"))
    }

    @Test func anAzureDatastorePathFindsTheImagesInTheBundle() throws {
        let url = "azureml://subscriptions/s/resourcegroups/g/workspaces/w/datastores/d/paths/data/fridge/images/7.jpg"
        let dir = try Self.bundle([Self.line(url, "a"), Self.line("images/8.jpg", "b")], images: ["images/7.jpg", "images/8.jpg"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let inspection = try JobBundle.inspect(directory: dir)
        #expect(inspection.problems.isEmpty, "\(inspection.problems)")
        #expect(inspection.bundle!.imagePath(inspection.bundle!.trainRecords[0]).hasSuffix("/images/7.jpg"))
    }

    @Test func anMLTableFolderIsRead() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write("task: image_classification\ntraining_data: {path: ./training-mltable-folder, type: mltable}\n",
                  to: "settings.yaml", in: dir)
        let folder = dir.appendingPathComponent("training-mltable-folder")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("images"), withIntermediateDirectories: true)
        try write("""
            paths:
              - file: ./train_annotations.jsonl
            transformations:
              - read_json_lines:
                    encoding: utf8
                    invalid_lines: error
                    include_path_column: false
              - convert_column_types:
                  - columns: image_url
                    column_type: stream_info
            """, to: "MLTable", in: folder)
        let lines = (0..<4).map { i in
            Self.line("azureml://subscriptions/s/resourcegroups/g/workspaces/w/datastores/workspaceblobstore/paths/data/images/\(i).jpg",
                      i % 2 == 0 ? "milk" : "can")
        }
        try write(lines.joined(separator: "\n"), to: "train_annotations.jsonl", in: folder)
        for i in 0..<4 { try Data([0]).write(to: folder.appendingPathComponent("images/\(i).jpg")) }
        let inspection = try JobBundle.inspect(directory: dir)
        #expect(inspection.problems.isEmpty, "\(inspection.problems)")
        #expect(inspection.bundle?.trainRecords.count == 4)
        #expect(inspection.bundle?.imagePath(inspection.bundle!.trainRecords[3]).hasSuffix("training-mltable-folder/images/3.jpg") == true)

        // An MLTable that names no file says so, with the file it read.
        try write("paths:\n  - folder: ./data\n", to: "MLTable", in: folder)
        let broken = try JobBundle.inspect(directory: dir)
        #expect(broken.problems == ["training-mltable-folder/MLTable: paths with folder: or pattern: are not read; name the JSONL with file:"])
    }

    @Test func aZeroLearningRateIsRefused() throws {
        do {
            _ = try JobSettings.parse("task: image_classification\ntraining_parameters: {learning_rate: 0}\n", file: "settings.yaml")
                .trainingParameters()
            Issue.record("learning_rate 0 was accepted")
        } catch {
            #expect(error.problems.map(\.description) == ["settings.yaml:2: training_parameters.learning_rate = 0: must be a number in (0, 1]"])
        }
    }

    @Test func listLabelsUnderMulticlassAreOneProblemThatNamesTheMultilabelTask() throws {
        let names = (0..<16).map { "images/\($0).png" }
        let lines = names.map { #"{"image_url": "\#($0)", "label": ["cat", "dog"]}"# }
        let dir = try Self.bundle([Self.line("/etc/passwd", "cat")] + lines, images: names)
        defer { try? FileManager.default.removeItem(at: dir) }
        let problems = try JobBundle.inspect(directory: dir).problems
        #expect(problems.count == 2, "\(problems)")
        #expect(problems[0].hasPrefix("train.jsonl:1: image_url: must be a relative path"))
        #expect(problems[1] == "train.jsonl:2: label: is a list of class names on 16 lines (the first is line 2), but "
            + "image_classification takes one class name per image; the labels look like multilabel data, so the task is "
            + "probably image_classification_multilabel: set task: image_classification_multilabel in the settings "
            + "(or give each image one class name)")
    }

    @Test func aNameUnderMultilabelNamesTheMulticlassTask() throws {
        let names = (0..<3).map { "images/\($0).png" }
        let lines = [#"{"image_url": "images/0.png", "label": ["cat"]}"#] + names.dropFirst().map { Self.line($0, "dog") }
        let dir = try Self.bundle(lines, images: names, task: "image_classification_multilabel")
        defer { try? FileManager.default.removeItem(at: dir) }
        let problems = try JobBundle.inspect(directory: dir).problems
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.hasPrefix("train.jsonl:2: label: is a single class name on 2 lines (the first is line 2), "
            + "but image_classification_multilabel takes a list") == true, "\(problems)")
        #expect(problems.first?.hasSuffix("the task is probably image_classification: set task: image_classification in the settings") == true)
    }

    @Test func fewExamplesWarningsCountWhatTheTaskLearnsFrom() throws {
        let box = #"{"label": "cat", "topX": 0.1, "topY": 0.1, "bottomX": 0.5, "bottomY": 0.5}"#
        let detection = try Self.bundle([#"{"image_url": "images/0.png", "label": [\#(box), \#(box), \#(box)]}"#],
                                        images: ["images/0.png"], task: "image_object_detection")
        let classification = try Self.bundle([Self.line("images/0.png", "cat"), Self.line("images/1.png", "dog")],
                                             images: ["images/0.png", "images/1.png"])
        defer { for dir in [detection, classification] { try? FileManager.default.removeItem(at: dir) } }
        #expect(try JobBundle.inspect(directory: detection).bundle?.fewExamplesWarnings()
            == ["label 'cat' has only 3 boxes; 10-15 or more boxes per label train better"])
        #expect(try JobBundle.inspect(directory: classification).bundle?.fewExamplesWarnings()
            == ["label 'cat' has only 1 image; 10-15 or more images per label train better",
                "label 'dog' has only 1 image; 10-15 or more images per label train better"])
    }
}

/// Errors a user reads never show a framework's domain and code.
@Suite struct ErrorTextTests {
    @Test func fileErrorsSayWhatAndWhere() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
        try Data().write(to: a)
        try Data().write(to: b)
        var texts: [String] = []
        do { try FileManager.default.copyItem(at: a, to: b) } catch { texts.append(ErrorText.describe(error)) }            // 516
        do { _ = try Data(contentsOf: dir.appendingPathComponent("none")) } catch { texts.append(ErrorText.describe(error)) }  // 260
        do { _ = try FileManager.default.contentsOfDirectory(atPath: a.path) } catch { texts.append(ErrorText.describe(error)) }
        #expect(texts.count == 3)
        for text in texts {
            #expect(!text.contains("Domain") && !text.contains("Code=") && !text.contains("\\/"), "\(text)")
        }
        #expect(texts[0].hasSuffix(": already exists"), "\(texts[0])")
        #expect(texts[1] == "\(dir.appendingPathComponent("none").path): no such file or folder")
        #expect(texts[2].hasPrefix(a.path + ": "), "\(texts[2])")
    }

    @Test func spoolErrorsKeepTheirOwnWords() {
        #expect(ErrorText.describe(TrainingError.data("train.jsonl:3: no such image")) == "train.jsonl:3: no such image")
    }
}
