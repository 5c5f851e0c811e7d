import Foundation
import Testing

/// `spoolctl convert`, run as a user runs it: COCO -> JSONL -> COCO -> JSONL repeats the JSONL, and an
/// input error names the annotation and writes nothing.
@Suite struct ConvertCommandTests {
    @Test func cocoRoundTripThroughTheCommandLine() throws {
        let dir = try TrainingSupport.temporaryDirectory("convert")
        defer { try? FileManager.default.removeItem(at: dir) }
        let coco = dir.appendingPathComponent("instances.json")
        try Data("""
            {"images": [{"id": 1, "file_name": "a.jpg", "width": 200, "height": 100},
                        {"id": 2, "file_name": "b.jpg", "width": 50, "height": 50}],
             "categories": [{"id": 1, "name": "can"}, {"id": 2, "name": "unused"}],
             "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "bbox": [20, 10, 50, 40]}]}
            """.utf8).write(to: coco)
        let first = dir.appendingPathComponent("bundle/train.jsonl")
        let toJSONL = try CommandLineTests.spoolctl(["convert", "coco", coco.path, "--out", first.path])
        #expect(toJSONL.status == 0, "\(toJSONL.stderr)")
        #expect(toJSONL.stdout == "wrote \(first.path): 2 images, 1 annotation, 1 class, 2 warnings "
            + "(1 image without annotations, 1 category never used)\n")
        #expect(toJSONL.stderr.contains("warning: \(coco.path): category 2 (unused): no annotation uses it"))

        let back = dir.appendingPathComponent("back.json")
        let toCOCO = try CommandLineTests.spoolctl(["convert", "jsonl", first.path, "--to", "coco", "--out", back.path])
        #expect(toCOCO.status == 0, "\(toCOCO.stderr)")
        #expect(toCOCO.stdout == "wrote \(back.path): 2 images, 1 annotations, 1 categories\n")
        let second = dir.appendingPathComponent("again.jsonl")
        let again = try CommandLineTests.spoolctl(["convert", "coco", back.path, "--out", second.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Data(contentsOf: first) == Data(contentsOf: second))

        // An existing --out is kept unless --force.
        let refused = try CommandLineTests.spoolctl(["convert", "coco", back.path, "--out", second.path])
        #expect(refused.status != 0 && refused.stderr.contains("exists; pass --force"))

        // An unknown category is an error naming the annotation; nothing is written.
        try Data("""
            {"images": [{"id": 1, "file_name": "a.jpg", "width": 200, "height": 100}],
             "categories": [], "annotations": [{"id": 42, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}]}
            """.utf8).write(to: coco)
        let bad = dir.appendingPathComponent("bad.jsonl")
        let failed = try CommandLineTests.spoolctl(["convert", "coco", coco.path, "--out", bad.path])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("annotation 42: category_id 3 is not in categories"))
        #expect(!FileManager.default.fileExists(atPath: bad.path))
    }
}
