import Foundation
import Testing
@testable import SpoolCore

@Suite struct ScoringInputsTests {
    @Test func filesFoldersGlobsAndJSONL() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scoring-inputs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = dir.appendingPathComponent("images/sub")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for name in ["b.png", "a.JPG", ".hidden.png", "notes.txt"] {
            try Data().write(to: images.appendingPathComponent(name))
        }
        try Data().write(to: dir.appendingPathComponent("top.webp"))
        try """
            {"image_url": "AmlDatastore://store/images/sub/b.png", "label": "x"}

            {"image_url": "/abs/c.png"}
            """.write(to: dir.appendingPathComponent("list.jsonl"), atomically: true, encoding: .utf8)

        let folder = try ScoringInputs.expand([dir.appendingPathComponent("images").path])
        #expect(folder.map { ($0 as NSString).lastPathComponent } == ["a.JPG", "b.png"])
        let glob = try ScoringInputs.expand([dir.path + "/*.webp", dir.path + "/images/sub/*.png"])
        // glob(3) leaves dotfiles out, as the shell does.
        #expect(glob == [dir.path + "/top.webp", images.path + "/b.png"])
        let listed = try ScoringInputs.expand([dir.appendingPathComponent("list.jsonl").path])
        #expect(listed == [dir.path + "/images/sub/b.png", "/abs/c.png"])
        // Duplicates are scored once.
        #expect(try ScoringInputs.expand([images.path + "/b.png", images.path + "/b.png"]).count == 1)
    }

    @Test func inputsThatNameNothingSaySo() throws {
        #expect(throws: ScoringInputError.self) { try ScoringInputs.expand(["/no/such/file.png"]) }
        do {
            _ = try ScoringInputs.expand(["/no/such/*.png"])
            Issue.record("a glob matching nothing must be refused")
        } catch {
            #expect(error.description.contains("matches no file"))
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try "{\"label\": \"x\"}\n".write(to: file, atomically: true, encoding: .utf8)
        do {
            _ = try ScoringInputs.expand([file.path])
            Issue.record("a JSONL line without image_url must be refused")
        } catch {
            #expect(error.description.contains(":1: expected a JSON object with image_url"))
        }
    }
}
