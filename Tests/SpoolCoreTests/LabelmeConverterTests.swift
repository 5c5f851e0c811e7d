import Foundation
import Testing
@testable import SpoolCore

/// labelme files, generated here as the tool writes them (imagePath relative to the .json, imageData inline):
/// rectangles to boxes, polygons to polygons or their extent, a group_id to one object, and errors that name the
/// file, the key and what is allowed.
@Suite struct LabelmeConverterTests {
    static func shape(_ label: String, _ points: [[Double]], type: String? = "polygon", group: Int? = nil) -> [String: Any] {
        var shape: [String: Any] = ["label": label, "points": points, "group_id": group.map { $0 as Any } ?? NSNull(),
                                    "description": "", "flags": [String: Any]()]
        if let type { shape["shape_type"] = type }
        return shape
    }

    /// Writes `name`.json in `dir` (its folder created) for an image at `imagePath` (created too, unless nil).
    static func file(_ name: String, in dir: URL, imagePath: String?, width: Int = 200, height: Int = 100,
                     shapes: [[String: Any]], createImage: Bool = true) throws {
        let url = dir.appendingPathComponent(name + ".json")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var object: [String: Any] = ["version": "5.4.1", "flags": [String: Any](), "shapes": shapes,
                                     "imageData": "iVBORw0KGgo=", "imageHeight": height, "imageWidth": width]
        if let imagePath {
            object["imagePath"] = imagePath
            if createImage {
                let image = url.deletingLastPathComponent().appendingPathComponent(imagePath)
                try FileManager.default.createDirectory(at: image.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data([0xFF, 0xD8]).write(to: image)
            }
        }
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: url)
    }

    /// a.json: a rectangle drawn bottom-right to top-left, and a cat in two polygons of group 1 with a dog in
    /// group 1 too (another label: another object); sub/b.json: an image one folder up from its .json.
    static func folder() throws -> URL {
        let dir = try makeTemporaryDirectory()
        try file("a", in: dir, imagePath: "a.jpg", shapes: [
            shape("box", [[100, 80], [20, 10]], type: "rectangle"),
            shape("cat", [[0, 0], [50, 0], [50, 50]], group: 1),
            shape("cat", [[150, 50], [200, 50], [200, 100], [150, 100]], group: 1),
            shape("dog", [[60, 60], [80, 60], [80, 90]], group: 1),
        ])
        try file("sub/b", in: dir, imagePath: "../images/b.png", width: 100, height: 100, shapes: [])
        return dir
    }

    @Test func segmentationKeepsPolygonsMergesGroupsAndTakesRectanglesAsCorners() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try LabelmeConverter(imagePrefix: "images").convert(input: dir, displayName: "ann")
        #expect(dataset.images.map(\.imageURL) == ["images/a.jpg", "images/images/b.png"])
        #expect(dataset.images[0].details == ImageDetails(format: "jpg", width: 200, height: 100))
        guard case let .objects(objects) = dataset.images[0].label else { Issue.record("not objects"); return }
        #expect(objects.map(\.label) == ["box", "cat", "dog"])
        #expect(objects[0].shape == .polygon([[0.1, 0.1, 0.5, 0.1, 0.5, 0.8, 0.1, 0.8]]))
        #expect(objects[1].shape == .polygon([[0, 0, 0.25, 0, 0.25, 0.5], [0.75, 0.5, 1, 0.5, 1, 1, 0.75, 1]]))
        #expect(dataset.images[1].label == .objects([]))
        #expect(dataset.warnings.map(\.kind) == [.imageWithoutAnnotations])
    }

    @Test func detectionTakesEachObjectsExtentAndAGroupsUnion() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try LabelmeConverter(task: .detection).convert(input: dir)
        guard case let .objects(objects) = dataset.images[0].label else { Issue.record("not objects"); return }
        #expect(objects.map(\.shape) == [
            .box(NormalizedBox(topX: 0.1, topY: 0.1, bottomX: 0.5, bottomY: 0.8)),
            .box(NormalizedBox(topX: 0, topY: 0, bottomX: 1, bottomY: 1)),
            .box(NormalizedBox(topX: 0.3, topY: 0.6, bottomX: 0.4, bottomY: 0.9)),
        ])
        // Rectangles only: detection without --task.
        let boxes = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: boxes) }
        try Self.file("r", in: boxes, imagePath: "r.jpg", shapes: [Self.shape("box", [[20, 10], [100, 80]], type: "rectangle")])
        let only = try LabelmeConverter().convert(input: boxes)
        #expect(only.images[0].label == .objects([ImageObject(label: "box", shape: .box(NormalizedBox(topX: 0.1, topY: 0.1, bottomX: 0.5, bottomY: 0.8)))]))
    }

    @Test func unsupportedShapesMissingKeysAndMissingImagesAreNamed() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.file("c", in: dir, imagePath: "c.jpg", shapes: [
            Self.shape("ball", [[10, 10], [20, 20]], type: "circle"),
            Self.shape("edge", [[10, 10], [20, 20]], type: "linestrip"),
            ["points": [[1, 1], [2, 2]], "shape_type": "rectangle"],
        ])
        try Self.file("d", in: dir, imagePath: nil, shapes: [])
        try Self.file("e", in: dir, imagePath: "gone.jpg", shapes: [], createImage: false)
        let problems: [String]
        do {
            _ = try LabelmeConverter().convert(input: dir, displayName: "ann")
            Issue.record("converted")
            return
        } catch {
            problems = error.problems.map(\.description)
        }
        #expect(problems.count == 5, "\(problems)")
        #expect(problems[0].hasPrefix("ann/c.json: shapes[0] (ball): shape_type circle is not supported: only rectangle and polygon"), "\(problems)")
        #expect(problems[1].hasPrefix("ann/c.json: shapes[1] (edge): shape_type linestrip is not supported"))
        #expect(problems[2] == "ann/c.json: shapes[2].label: missing: every shape needs its class name")
        #expect(problems[3].hasPrefix("ann/d.json: imagePath: missing: the image's path, relative to this .json file (the image embedded in imageData is not read"))
        #expect(problems[4].hasPrefix("ann/e.json: imagePath: gone.jpg: no such image"), "\(problems)")
    }

    @Test func labelmeIsRecognisedAndOtherJSONIsNot() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(LabelmeConverter.looksLikeLabelme(dir))
        #expect(LabelmeConverter.looksLikeLabelme(dir.appendingPathComponent("a.json")))
        #expect(BundleMaker.detectKind(of: dir) == .labelme)
        #expect(BundleMaker.detectKind(of: dir.appendingPathComponent("a.json")) == .labelme)
        let coco = try write(#"{"images": [], "annotations": [], "categories": []}"#, to: "coco.json", in: try makeTemporaryDirectory())
        defer { try? FileManager.default.removeItem(at: coco.deletingLastPathComponent()) }
        #expect(!LabelmeConverter.looksLikeLabelme(coco))
        #expect(BundleMaker.detectKind(of: coco) == .coco)
    }

    @Test func aBundleMadeFromLabelmeHoldsTheImagesWhereImageURLSays() throws {
        let dir = try Self.folder()
        let out = try makeTemporaryDirectory().appendingPathComponent("bundle")
        defer { for url in [dir, out.deletingLastPathComponent()] { try? FileManager.default.removeItem(at: url) } }
        let outcome = try BundleMaker(source: dir).make(into: out)
        #expect(outcome.kind == .labelme && outcome.task == .imageInstanceSegmentation)
        let inspection = try JobBundle.inspect(directory: out)
        #expect(inspection.problems.isEmpty, "\(inspection.problems)")
        #expect(inspection.bundle?.trainRecords.map(\.imageURL) == ["images/a.jpg", "images/images/b.png"])
    }
}
