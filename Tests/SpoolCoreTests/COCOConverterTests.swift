import Foundation
import Testing
@testable import SpoolCore

/// A COCO file with the corner cases: a crowd box, a box partly outside (clipped), a box with no area
/// and one outside the image (skipped), an image without annotations, a category never used.
private let detectionCOCO = """
    {
      "info": {"year": 2024, "description": "hand-made"},
      "licenses": [],
      "images": [
        {"id": 1, "file_name": "a.jpg", "width": 200, "height": 100},
        {"id": 2, "file_name": "sub/b.PNG", "width": 400, "height": 300},
        {"id": 3, "file_name": "c.jpg", "width": 50, "height": 50}
      ],
      "categories": [
        {"id": 1, "name": "can", "supercategory": "things"},
        {"id": 2, "name": "milk_bottle"},
        {"id": 7, "name": "toaster"}
      ],
      "annotations": [
        {"id": 10, "image_id": 1, "category_id": 1, "bbox": [20, 10, 50, 40], "area": 2000, "iscrowd": 0, "segmentation": []},
        {"id": 11, "image_id": 2, "category_id": 2, "bbox": [100, 75, 200, 150], "iscrowd": 1},
        {"id": 12, "image_id": 2, "category_id": 1, "bbox": [380, 280, 40, 40]},
        {"id": 13, "image_id": 1, "category_id": 1, "bbox": [10, 10, 0, 5]},
        {"id": 14, "image_id": 1, "category_id": 2, "bbox": [300, 10, 20, 20]}
      ]
    }
    """

/// Polygons: one part, two parts, a box without polygon (its four corners), a part with too few points.
private let segmentationCOCO = """
    {
      "images": [{"id": 5, "file_name": "p.jpg", "width": 100, "height": 50}],
      "categories": [{"id": 1, "name": "can"}, {"id": 2, "name": "carton"}],
      "annotations": [
        {"id": 1, "image_id": 5, "category_id": 1, "segmentation": [[10, 5, 60, 5, 60, 45, 10, 45]], "bbox": [10, 5, 50, 40]},
        {"id": 2, "image_id": 5, "category_id": 2, "segmentation": [[0, 0, 20, 0, 20, 10], [30, 30, 50, 30, 50, 55]]},
        {"id": 3, "image_id": 5, "category_id": 1, "bbox": [0, 0, 10, 10]},
        {"id": 4, "image_id": 5, "category_id": 2, "segmentation": [[1, 1, 5, 5], [2, 2, 40, 2, 40, 40]]}
      ]
    }
    """

private func convert(_ text: String, task: COCOConverter.Task? = nil, prefix: String = "") throws(ConversionError) -> ConvertedDataset {
    try COCOConverter(task: task, imagePrefix: prefix).convert(Data(text.utf8), file: "instances.json")
}

/// The error of a COCO file that must be refused; nil when it converts.
private func failure(_ text: String, task: COCOConverter.Task? = nil) -> ConversionError? {
    do {
        _ = try convert(text, task: task)
        return nil
    } catch {
        return error
    }
}

@Suite struct COCOConverterTests {
    @Test func boxesBecomeNormalisedDetectionLines() throws {
        let converted = try convert(detectionCOCO, prefix: "images")
        #expect(converted.jsonl == """
            {"image_details":{"format":"jpg","height":100,"width":200},"image_url":"images/a.jpg","label":[{"bottomX":0.35,"bottomY":0.5,"isCrowd":0,"label":"can","topX":0.1,"topY":0.1}]}
            {"image_details":{"format":"png","height":300,"width":400},"image_url":"images/sub/b.PNG","label":[{"bottomX":0.75,"bottomY":0.75,"isCrowd":1,"label":"milk_bottle","topX":0.25,"topY":0.25},{"bottomX":1,"bottomY":1,"isCrowd":0,"label":"can","topX":0.95,"topY":0.933333333333}]}
            {"image_details":{"format":"jpg","height":50,"width":50},"image_url":"images/c.jpg","label":[]}

            """)
        #expect(converted.warnings.map(\.description) == [
            "instances.json: annotation 12: box clipped to image 2 (400x300)",
            "instances.json: annotation 13: box has zero or negative area (width 0, height 5); skipped",
            "instances.json: annotation 14: box lies outside image 1 (200x100); skipped",
            "instances.json: image 3 (c.jpg): no annotations; written with an empty label list",
            "instances.json: category 7 (toaster): no annotation uses it; it is not among the classes",
        ])
        #expect(converted.summary == "3 images, 3 annotations, 2 classes, 5 warnings (1 image without annotations, "
            + "1 category never used, 1 shape clipped to the image, 2 annotations skipped)")
    }

    @Test func polygonsBecomeSegmentationLinesByDefault() throws {
        let converted = try convert(segmentationCOCO)
        #expect(converted.jsonl == """
            {"image_details":{"format":"jpg","height":50,"width":100},"image_url":"p.jpg","label":[{"isCrowd":0,"label":"can","polygon":[[0.1,0.1,0.6,0.1,0.6,0.9,0.1,0.9]]},{"isCrowd":0,"label":"carton","polygon":[[0,0,0.2,0,0.2,0.2],[0.3,0.6,0.5,0.6,0.5,1]]},{"isCrowd":0,"label":"can","polygon":[[0,0,0.1,0,0.1,0.2,0,0.2]]},{"isCrowd":0,"label":"carton","polygon":[[0.02,0.04,0.4,0.04,0.4,0.8]]}]}

            """)
        #expect(converted.warnings.map(\.description) == [
            "instances.json: annotation 2: polygon clipped to image 5 (100x50)",
            "instances.json: annotation 3: no polygon; its box is written as a 4-point polygon",
            "instances.json: annotation 4: polygon 0 has 4 numbers; a polygon needs x, y pairs for at least 3 points; part skipped",
        ])
        #expect(converted.summary.hasPrefix("1 image, 4 annotations, 2 classes, 3 warnings"))
    }

    @Test func detectionOfAPolygonFileTakesBoxesOrTheExtent() throws {
        let converted = try convert(segmentationCOCO, task: .detection)
        guard case let .objects(objects) = try #require(converted.images.first).label else {
            Issue.record("expected objects")
            return
        }
        #expect(objects.map(\.shape) == [
            .box(NormalizedBox(topX: 0.1, topY: 0.1, bottomX: 0.6, bottomY: 0.9)),
            .box(NormalizedBox(topX: 0, topY: 0, bottomX: 0.5, bottomY: 1)),  // the extent, clipped at y = 50
            .box(NormalizedBox(topX: 0, topY: 0, bottomX: 0.1, bottomY: 0.2)),
            .box(NormalizedBox(topX: 0.01, topY: 0.02, bottomX: 0.4, bottomY: 0.8)),
        ])
    }

    @Test func reportsEveryErrorAtOnceByAnnotationID() throws {
        let error = try #require(failure("""
            {
              "images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10},
                         {"id": 2, "file_name": "b.jpg", "width": 0}],
              "categories": [{"id": 1, "name": "can"}],
              "annotations": [
                {"id": 1, "image_id": 1, "category_id": 9, "bbox": [0, 0, 5, 5]},
                {"id": 2, "image_id": 4, "category_id": 1, "bbox": [0, 0, 5, 5]},
                {"id": 3, "image_id": 1, "category_id": 1, "segmentation": {"counts": [0, 10, 90], "size": [10, 10]}, "iscrowd": 1},
                {"id": 4, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5]},
                {"id": 5, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 5, 0, 5, 5]]}
              ]
            }
            """))
        #expect(error.problems.map(\.description) == [
            "instances.json: image 2 (b.jpg): width and height must be positive numbers, to turn pixels into fractions of the image; got 0 x none",
            "instances.json: annotation 1: category_id 9 is not in categories; add the category or remove the annotation",
            "instances.json: annotation 2: image_id 4 is not in images; add the image to images or remove the annotation",
            "instances.json: annotation 3: RLE masks are not supported; export polygons, or convert with --task detection to keep only its box",
            "instances.json: annotation 4: bbox must be [x, y, width, height], got 3 numbers",
        ])
    }

    @Test func rleIsAcceptedForDetectionThroughItsBox() throws {
        let converted = try convert("""
            {"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
             "categories": [{"id": 1, "name": "people"}],
             "annotations": [{"id": 3, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5],
                              "segmentation": {"counts": "abc", "size": [10, 10]}, "iscrowd": 1}]}
            """)
        #expect(converted.images.first?.label == .objects([
            ImageObject(label: "people", isCrowd: true, shape: .box(NormalizedBox(topX: 0, topY: 0, bottomX: 0.5, bottomY: 0.5)))]))
    }

    @Test func malformedJSONNamesThePath() throws {
        let wrongType = try #require(failure("""
            {"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}], "categories": [],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": ["0", 0, 5, 5]}]}
            """))
        #expect(wrongType.problems.count == 1)
        #expect(wrongType.problems[0].description.hasPrefix("instances.json: annotations[0].bbox[0]: expected a number"))
        let missing = try #require(failure(#"{"images": [{"id": 1, "width": 10, "height": 10}], "categories": []}"#))
        #expect(missing.description == "instances.json: images[0].file_name: required, missing")
        let notJSON = try #require(failure("{\"images\": ["))
        #expect(notJSON.description.hasPrefix("instances.json: not valid JSON"))
    }

    /// COCO -> JSONL -> COCO -> JSONL: the same JSONL bytes, and the boxes and polygons back within 1e-9
    /// pixels, written as short as they came (13.7, not 13.700000000000001).
    @Test(arguments: [COCOConverter.Task.detection, .segmentation])
    func roundTripRepeatsTheJSONL(task: COCOConverter.Task) throws {
        let original = """
            {"images": [{"id": 4, "file_name": "x/one.jpg", "width": 333, "height": 217},
                        {"id": 9, "file_name": "two.png", "width": 640, "height": 480},
                        {"id": 2, "file_name": "empty.jpg", "width": 64, "height": 64}],
             "categories": [{"id": 3, "name": "zebra"}, {"id": 1, "name": "ant"}],
             "annotations": [
               {"id": 1, "image_id": 4, "category_id": 3, "bbox": [13.7, 22.1, 101.3, 57.9],
                "segmentation": [[13.7, 22.1, 115, 22.1, 60.25, 80]]},
               {"id": 2, "image_id": 9, "category_id": 1, "bbox": [0.5, 1.25, 639.5, 478.75], "iscrowd": 1,
                "segmentation": [[0.5, 1.25, 640, 1.25, 640, 480, 0.5, 480], [100.1, 100.2, 200.3, 100.2, 150.7, 300.9]]},
               {"id": 3, "image_id": 4, "category_id": 1, "bbox": [1, 2, 3, 4], "segmentation": [[1, 2, 4, 2, 4, 6, 1, 6]]}
             ]}
            """
        let first = try convert(original, task: task)
        let coco = try JSONLToCOCO().convert(Data(first.jsonl.utf8), file: "train.jsonl")
        let again = try COCOConverter(task: task).convert(coco, file: "back.json")
        #expect(again.jsonl == first.jsonl)
        #expect(first.warnings.count == 1 && again.warnings.count == 1)  // the empty image, both times

        #expect(coco.images.map(\.fileName) == ["x/one.jpg", "two.png", "empty.jpg"])
        #expect(coco.images.map(\.id) == [1, 2, 3])
        #expect(coco.categories == [COCODataset.Category(id: 1, name: "ant"), COCODataset.Category(id: 2, name: "zebra")])
        #expect(coco.annotations.map(\.categoryID) == [2, 1, 1])
        #expect(coco.annotations.map(\.iscrowd) == [0, 0, 1])
        let decoded = try JSONDecoder().decode(COCODataset.self, from: Data(original.utf8))
        switch task {
        case .detection:
            // Annotations come back grouped by image, in image order: 1, 3 (image 4), then 2 (image 9).
            for (back, id) in zip(coco.annotations, [1, 3, 2]) {
                let source = try #require(decoded.annotations.first { $0.id == id }?.bbox)
                let bbox = try #require(back.bbox)
                for (a, b) in zip(bbox, source) { #expect(abs(a - b) < 1e-9, "annotation \(id): \(bbox) vs \(source)") }
                #expect(bbox == source, "written short")
                #expect(back.segmentation == nil)
            }
        case .segmentation:
            for (back, id) in zip(coco.annotations, [1, 3, 2]) {
                guard case let .polygons(source) = decoded.annotations.first(where: { $0.id == id })?.segmentation,
                      case let .polygons(parts) = back.segmentation else {
                    Issue.record("annotation \(id): expected polygons")
                    continue
                }
                #expect(parts == source, "annotation \(id): \(parts) vs \(source)")
            }
            #expect(coco.annotations[0].bbox == [13.7, 22.1, 101.3, 57.9])
            #expect(coco.annotations[1].area == 12)
        }
        // Byte for byte the same COCO JSON when written twice.
        #expect(try JSONLToCOCO.json(coco) == JSONLToCOCO.json(try JSONLToCOCO().convert(Data(again.jsonl.utf8), file: "again.jsonl")))
    }

    @Test func jsonlToCOCOReadsMissingSizesFromImageHeaders() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images/sub"), withIntermediateDirectories: true)
        try pngHeader(width: 640, height: 480).write(to: dir.appendingPathComponent("images/sub/a.png"))
        let coco = try JSONLToCOCO(imageRoot: dir).convert(Data("""
            {"image_url": "AmlDatastore://store/sub/a.png", "label": [{"label": "can", "topX": "0.25", "topY": 0.5, "bottomX": 0.75, "bottomY": 1, "isCrowd": true}]}
            """.utf8), file: "train.jsonl")
        #expect(coco.images == [COCODataset.Image(id: 1, fileName: "sub/a.png", width: 640, height: 480)])
        #expect(coco.annotations == [COCODataset.Annotation(id: 1, imageID: 1, categoryID: 1, bbox: [160, 240, 320, 240],
                                                            area: 76800, iscrowd: 1)])
        #expect(coco.categories == [COCODataset.Category(id: 1, name: "can")])
    }

    @Test func jsonlToCOCOReportsWhatItCannotConvert() throws {
        func failure(_ text: String) -> ConversionError? {
            do {
                _ = try JSONLToCOCO().convert(Data(text.utf8), file: "train.jsonl")
                return nil
            } catch {
                return error
            }
        }
        let classification = try #require(failure("""
            {"image_url": "a.jpg", "label": "cat"}
            {"image_url": "b.jpg", "label": "dog"}
            """))
        #expect(classification.description == "train.jsonl:1: label: a classification label; COCO holds boxes and polygons, "
            + "so convert object detection or instance segmentation JSONL (2 classification line(s) in the file)")
        let broken = try #require(failure("""
            {"image_url": "a.jpg", "label": [{"label": "can", "topX": 0.1, "topY": "0.2", "bottomX": 0.3, "bottomY": 0.4}]}
            {"image_url": "b.jpg", "image_details": {"width": "400px", "height": 300}, "label": [{"label": "can", "topX": 0.5, "topY": 0.1, "bottomX": 0.2}]}
            {"image_url": "c.jpg", "image_details": {"width": 10, "height": 10}, "label": [{"label": "can", "isCrowd": "maybe", "polygon": [[0, 0, 1]]}]}
            """))
        #expect(broken.problems.map(\.description) == [
            "train.jsonl:1: image_details: width and height are needed to turn fractions into pixels; add them, or pass the folder holding a.jpg so that its header can be read",
            "train.jsonl:2: label[0].bottomY: required: a number in [0, 1] (a fraction of the image's width or height)",
            "train.jsonl:3: label[0].isCrowd: expected true, false, 0 or 1, got \"maybe\"",
        ])
    }
}
