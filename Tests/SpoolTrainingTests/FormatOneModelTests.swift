import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// A model folder written before the task-neutral path (manifest format 1: no architecture, classification
/// only, the score.py of that time) still loads, predicts with `spoolctl predict`, and scores with today's
/// score.py, giving the same probabilities. The weights keep their state-dict names across the change (the
/// parity tests hold them to torchvision's), so a format 1 folder is its model.json as Spool 0.1 wrote it
/// beside a state dict.
@Suite(.serialized)
struct FormatOneModelTests {
    /// model.json exactly as Spool 0.1 wrote it (JSONEncoder, pretty, sorted keys).
    static let manifest = """
        {
          "classes" : [
            "circle",
            "square",
            "triangle"
          ],
          "created_at" : "2026-11-20T10:00:00Z",
          "format_version" : 1,
          "image_size" : 32,
          "model_name" : "mobilenetv2",
          "multilabel_threshold" : null,
          "preprocessing" : {
            "mean" : [
              0.485,
              0.456,
              0.406
            ],
            "std" : [
              0.229,
              0.224,
              0.225
            ],
            "valid_crop_size" : 32,
            "valid_resize_size" : 40
          },
          "primary_metric" : {
            "name" : "accuracy",
            "value" : 0.75
          },
          "task" : "image_classification",
          "weights_file" : "weights.safetensors"
        }
        """

    @Test func aFormatOneFolderPredictsAndScores() throws {
        let dir = try TrainingSupport.temporaryDirectory("format1")
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(Self.manifest.utf8).write(to: folder.appendingPathComponent("model.json"))
        try EngineRuntime.seed(11)
        try Model(name: "mobilenetv2", numClasses: 3).save(to: folder.appendingPathComponent("weights.safetensors").path)

        let read = try ModelManifest.read(from: folder)
        #expect(read.formatVersion == 1 && read.modelName == .mobilenetv2 && read.detection == nil)

        let images = try ScoringScriptTests.writeImages(in: dir)
        let predict = try ScoringScriptTests.spoolctl(["predict", "--model", folder.path, "--json"] + images)
        try #require(predict.status == 0, "\(predict.stderr)")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [[String: Any]])
        #expect(expected.count == images.count)

        // Today's score.py in that folder (a user updating the script of an old model).
        try ScoringScript.write(into: folder)
        let driver = dir.appendingPathComponent("driver.py")
        try ScoringScriptTests.driver.write(to: driver, atomically: true, encoding: .utf8)
        let scored = try ScoringScriptTests.run(TrainingSupport.debianPython,
                                                [driver.path, folder.appendingPathComponent("score.py").path] + images)
        try #require(scored.status == 0, "\(scored.stderr)")
        let got = try #require(try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any])
        let results = try #require(got["batch"] as? [[String: Any]])
        var worst = 0.0
        for (want, have) in zip(expected, results) {
            #expect(have["labels"] as? [String] == ["circle", "square", "triangle"])
            let p = try #require(want["probs"] as? [Double]), q = try #require(have["probs"] as? [Double])
            for (a, b) in zip(p, q) { worst = max(worst, abs(a - b)) }
        }
        #expect(worst <= ScoringScriptTests.tolerance, "max |prob diff| \(worst)")
    }
}
