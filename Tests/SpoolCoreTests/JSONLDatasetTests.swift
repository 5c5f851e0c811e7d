import Foundation
import Testing
@testable import SpoolCore

private func parse(_ text: String, _ task: ImageTask = .imageClassification) throws -> [DatasetRecord] {
    try JSONLDataset.parse(Data(text.utf8), task: task, file: "train.jsonl")
}

/// The error of a file that must be refused; nil when it is accepted.
private func failure(_ text: String, _ task: ImageTask = .imageClassification) -> DatasetError? {
    do {
        _ = try JSONLDataset.parse(Data(text.utf8), task: task, file: "train.jsonl")
        return nil
    } catch {
        return error
    }
}

@Suite struct JSONLDatasetTests {
    @Test func readsMulticlassLines() throws {
        let records = try parse("""
            {"image_url": "AmlDatastore://workspaceblobstore/fridge/images/1.jpg", "image_details": {"format": "jpg", "width": "400px", "height": 300}, "label": "can"}

            {"image_url": "images/2.jpg", "label": 3}\r
            {"image_url": "./images/3.png", "label": "milk_bottle", "extra": [1, 2]}
            """)
        #expect(records == [
            DatasetRecord(imageURL: "fridge/images/1.jpg", label: .single("can"),
                          imageDetails: ImageDetails(format: "jpg", width: 400, height: 300), line: 1),
            DatasetRecord(imageURL: "images/2.jpg", label: .single("3"), line: 3),
            DatasetRecord(imageURL: "images/3.png", label: .single("milk_bottle"), line: 4),
        ])
        #expect(JSONLDataset.classNames(in: records) == ["3", "can", "milk_bottle"])
    }

    @Test func readsMultilabelLines() throws {
        let records = try parse("""
            {"image_url": "a.jpg", "label": ["can", "milk_bottle", "can"]}
            {"image_url": "b.jpg", "label": []}
            {"image_url": "c.jpg", "label": ["water_bottle"]}
            """, .imageClassificationMultilabel)
        #expect(records.map(\.label) == [.multiple(["can", "milk_bottle"]), .multiple([]), .multiple(["water_bottle"])])
        #expect(JSONLDataset.classNames(in: records) == ["can", "milk_bottle", "water_bottle"])
    }

    @Test func reportsEveryErrorOfTheFileAtOnce() throws {
        let error = try #require(failure("""
            {"image_url": "ok.jpg", "label": "cat"}
            {"image_url": "a.jpg", "label": ["cat", "dog"]}
            {"label": "cat"}
            not json
            {"image_url": 5, "label": null}
            ["image_url", "label"]
            {"image_url": "/etc/passwd", "label": "cat", "image_details": {"width": "wide", "height": 0}}
            {"image_url": "https://example.com/x.jpg", "label": {"name": "cat"}}
            """))
        #expect(error.problems.map(\.description) == [
            "train.jsonl:2: label: expected a string for image_classification, got a list",
            "train.jsonl:3: image_url: required: the image's path in the bundle's images",
            error.problems[2].description,
            "train.jsonl:5: image_url: expected a string (the image's path), got an integer",
            "train.jsonl:5: label: required: a class name for image_classification",
            #"train.jsonl:6: expected a JSON object like {"image_url": ..., "label": ...}, got a list"#,
            "train.jsonl:7: image_url: must be a relative path inside the images root (no leading /, no ..): /etc/passwd",
            #"train.jsonl:7: image_details.width: expected a positive size in pixels like 400 or "400px", got "wide""#,
            #"train.jsonl:7: image_details.height: expected a positive size in pixels like 400 or "400px", got 0"#,
            "train.jsonl:8: image_url: https:// URLs are not fetched: put the image in the bundle and give its path",
            "train.jsonl:8: label: expected a string for image_classification, got a mapping",
        ])
        #expect(error.problems[2].line == 4)
        #expect(error.problems[2].field == nil)
        #expect(error.problems[2].message.hasPrefix("not valid JSON"))
    }

    @Test func multilabelErrorsNameTheElement() throws {
        let error = try #require(failure("""
            {"image_url": "a.jpg", "label": "can"}
            {"image_url": "b.jpg", "label": ["can", 7, {"x": 1}, ""]}
            {"image_url": "c.jpg"}
            """, .imageClassificationMultilabel))
        #expect(error.problems.map(\.description) == [
            "train.jsonl:1: label: expected a list of strings for image_classification_multilabel, got a string",
            "train.jsonl:2: label[2]: expected a class name (a non-empty string), got a mapping",
            "train.jsonl:2: label[3]: expected a class name (a non-empty string), got a string",
            "train.jsonl:3: label: required: a list of class names (may be empty) for image_classification_multilabel",
        ])
    }

    @Test func emptyFilesAreRefused() throws {
        #expect(failure("\n\n")?.description == "train.jsonl: no images: the file has no JSON lines")
    }

    /// Section 3: normalised boxes, numbers as strings, isCrowd as a bool, 0/1 or a string; every problem of a
    /// line with its field.
    @Test func detectionLinesAreReadAndChecked() throws {
        let good = try JSONLDataset.parse(Data("""
            {"image_url": "a.jpg", "label": [{"label": "can", "topX": "0.1", "topY": 0.2, "bottomX": 0.5, "bottomY": "0.6", "isCrowd": "true"}, {"label": "milk", "topX": 0, "topY": 0, "bottomX": 1, "bottomY": 1}]}
            {"image_url": "b.jpg", "label": []}
            """.utf8), task: .imageObjectDetection, file: "train.jsonl")
        #expect(good.count == 2)
        let objects = good[0].label.objects
        #expect(objects.map(\.label) == ["can", "milk"] && objects[0].isCrowd && !objects[1].isCrowd)
        #expect(objects[0].box == NormalizedBox(topX: 0.1, topY: 0.2, bottomX: 0.5, bottomY: 0.6))
        #expect(good[1].label.objects.isEmpty)
        let bad = try #require(failure("""
            {"image_url": "a.jpg", "label": [{"label": "can", "topX": 0.5, "topY": 0.2, "bottomX": 0.4, "bottomY": 0.6}]}
            {"image_url": "b.jpg", "label": [{"topX": 0.1, "topY": 0.2, "bottomX": 0.4, "bottomY": 1.6}]}
            {"image_url": "c.jpg", "label": [{"label": "x", "topX": 0.1, "topY": 0.2, "bottomX": 0.4, "bottomY": 1.6, "isCrowd": 2}]}
            """, .imageObjectDetection))
        #expect(bad.problems.map(\.description) == [
            "train.jsonl:1: label[0]: bottomX and bottomY must be greater than topX and topY: the box (0.5, 0.2, 0.4, 0.6) has no area",
            "train.jsonl:2: label[0].label: required: the object's class name",
            "train.jsonl:3: label[0].isCrowd: expected true, false, 0 or 1, got 2",
        ])
    }

    @Test func segmentationPolygonsAreReadAndChecked() throws {
        let good = try JSONLDataset.parse(Data("""
            {"image_url": "a.jpg", "label": [{"label": "can", "polygon": [[0.1, 0.1, 0.5, 0.1, 0.3, 0.6], [0.6, 0.6, 0.9, 0.6, 0.9, 0.9]]}]}
            """.utf8), task: .imageInstanceSegmentation, file: "train.jsonl")
        let object = try #require(good.first?.label.objects.first)
        #expect(object.polygons.count == 2)
        #expect(object.box == NormalizedBox(topX: 0.1, topY: 0.1, bottomX: 0.9, bottomY: 0.9))
        let bad = try #require(failure("""
            {"image_url": "a.jpg", "label": [{"label": "can", "polygon": [[0.1, 0.1, 0.5, 0.1]]}]}
            {"image_url": "b.jpg", "label": [{"label": "can", "polygon": [[0.1, 0.1, 0.2, 0.2, 0.3, 0.3]]}]}
            {"image_url": "c.jpg", "label": [{"label": "can", "topX": 0.1, "topY": 0.1, "bottomX": 0.2, "bottomY": 0.2}]}
            """, .imageInstanceSegmentation))
        #expect(bad.problems.map(\.description) == [
            "train.jsonl:1: label[0].polygon[0]: has 2 point(s); a polygon needs at least 3",
            "train.jsonl:2: label[0].polygon[0]: encloses no area (its points are on one line)",
            "train.jsonl:3: label[0].polygon: required: a list of polygons [[x1, y1, x2, y2, x3, y3, ...], ...] (fractions of the image)",
        ])
    }

    @Test func loadsFromAFileAndNamesIt() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try write("\u{FEFF}{\"image_url\": \"a.jpg\", \"label\": \"cat\"}\n{\"image_url\": \"b.jpg\"}\n", to: "valid.jsonl", in: directory)
        do {
            _ = try JSONLDataset.load(url: url, task: .imageClassification)
            Issue.record("line 2 has no label")
        } catch {
            #expect(error.description == "valid.jsonl:2: label: required: a class name for image_classification")
        }
        let missing = directory.appendingPathComponent("absent.jsonl")
        #expect(throws: DatasetError.self) { try JSONLDataset.load(url: missing, task: .imageClassification) }
    }

    @Test func longErrorListsAreSummarised() throws {
        let lines = String(repeating: "{\"image_url\": \"a.jpg\"}\n", count: 250)
        let error = try #require(failure(lines))
        #expect(error.problems.count == 250)
        let described = error.description.split(separator: "\n")
        #expect(described.count == 201)
        #expect(described.last == "... and 50 more problems")
    }
}

@Suite struct DatastorePathTests {
    @Test(arguments: [
        ("AmlDatastore://workspaceblobstore/odFridgeObjects/images/31.jpg", "odFridgeObjects/images/31.jpg"),
        ("amldatastore://store/a.png", "a.png"),
        ("azureml://subscriptions/s/resourcegroups/g/workspaces/w/datastores/d/paths/fridge/images/1.jpg", "fridge/images/1.jpg"),
        ("azureml://datastores/workspaceblobstore/paths/x/y.jpg", "x/y.jpg"),
        ("images/1.jpg", "images/1.jpg"),
        ("./images/1.jpg", "images/1.jpg"),
    ])
    func stripsPrefixes(_ input: String, _ expected: String) {
        #expect(DatastorePath.relativePath(input) == .success(expected))
    }

    @Test func refusesWhatIsNotInTheBundle() {
        #expect(DatastorePath.relativePath("/abs/a.jpg") == .failure(.escapesRoot))
        #expect(DatastorePath.relativePath("images/../../a.jpg") == .failure(.escapesRoot))
        #expect(DatastorePath.relativePath("AmlDatastore://store") == .failure(.empty))
        #expect(DatastorePath.relativePath("azureml://datastores/d/a.jpg") == .failure(.missingPathsSegment))
        #expect(DatastorePath.relativePath("s3://bucket/a.jpg") == .failure(.remote("s3")))
    }
}
