import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// `score.py`, which Spool writes into every model folder, scores as `spoolctl predict` does: tiny models are
/// trained by the built `spoolctl`, then Debian's Python (torch and torchvision, no timm) imports the folder's
/// script and scores the same images, whose sizes need a non-integer shrink, an integer one and an enlargement.
@Suite(.serialized)
struct ScoringScriptTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let model: String
        let multilabel: Bool
        var testDescription: String { multilabel ? "\(model) multilabel" : model }
    }

    /// A torchvision model, a timm model the script must define itself, and a multilabel model.
    static let cases = [
        Case(model: "resnet18", multilabel: false),
        Case(model: "seresnext", multilabel: false),
        Case(model: "mobilenetv2", multilabel: true),
    ]

    static let tolerance = 1e-4
    static let bin = TrainingSupport.repository.appendingPathComponent(".build/debug")

    typealias Output = TrainingSupport.Output

    /// Runs a program with one BLAS and OpenMP thread (deterministic sums on both sides).
    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        try TrainingSupport.run(URL(fileURLWithPath: executable), arguments,
                                environment: ["OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "AZUREML_MODEL_DIR": nil])
    }

    static func spoolctl(_ arguments: [String]) throws -> Output {
        try run(bin.appendingPathComponent("spoolctl").path, arguments)
    }

    /// Scoring sizes with valid_resize_size 40: 100x75 and 64x96 shrink by non-integer factors (INTER_AREA's
    /// weighted path), 80x120 by 2 and 120x120 by 3 (its box path), 20x30 and 33x26 are enlarged (INTER_LINEAR).
    static func writeImages(in dir: URL) throws -> [String] {
        var rng = SplitMix64(seed: 7)
        var paths: [String] = []
        for (width, height, format) in [(100, 75, "png"), (64, 96, "jpg"), (80, 120, "png"), (120, 120, "jpg"),
                                        (20, 30, "png"), (33, 26, "png")] {
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    let base = [200 * x / width + 30 * y / height, 40 * x / width + 180 * y / height,
                                90 * x / width + 60 * y / height]
                    for c in 0..<3 { pixels[(y * width + x) * 3 + c] = UInt8(min(255, base[c] + Int(rng.next() % 48))) }
                }
            }
            let path = dir.appendingPathComponent("score-\(width)x\(height).\(format)").path
            try ImageLoader.write(path: path, pixels: pixels, width: width, height: height, channels: 3)
            paths.append(path)
        }
        return paths
    }

    /// Imports score.py from a model folder and scores the images three ways: one call per image (raw
    /// bytes), one call for all (a list of bytes), and Azure's v2 request (base64 in JSON).
    static let driver = #"""
        import base64, importlib.util, json, pathlib, sys, torch
        torch.set_num_threads(1)
        spec = importlib.util.spec_from_file_location("score", sys.argv[1])
        score = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(score)
        score.init()
        data = [open(p, "rb").read() for p in sys.argv[2:]]
        request = {"input_data": {"columns": ["image"], "index": list(range(len(data))),
                                  "data": [base64.b64encode(d).decode() for d in data]}}
        print(json.dumps({
            "timm": importlib.util.find_spec("timm") is not None,
            "single": [json.loads(score.run(d))[0] for d in data],
            "batch": json.loads(score.run(data)),
            "v2": json.loads(score.run(json.dumps(request))),
            "mixed": json.loads(score.run([data[0], b"not an image", pathlib.Path("/nonexistent/x.png"), data[1]])),
        }))
        """#

    @Test(arguments: cases)
    func scoresAsSpoolctlPredict(_ c: Case) throws {
        let dir = try TrainingSupport.temporaryDirectory("score-\(c.model)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = dir.appendingPathComponent("bundle")
        let example = try Self.spoolctl(["example", "--out", bundle.path, "--per-class", "4", "--size", "48"]
                                        + (c.multilabel ? ["--multilabel"] : []))
        try #require(example.status == 0, "\(example.stderr)")
        let runDir = dir.appendingPathComponent("run")
        let train = try Self.spoolctl(["train", bundle.path, "--out", runDir.path, "--quiet",
                                       "--set", "model_name=\(c.model)", "--set", "number_of_epochs=1",
                                       "--set", "train_crop_size=32", "--set", "valid_crop_size=32",
                                       "--set", "valid_resize_size=40", "--set", "training_batch_size=8"])
        try #require(train.status == 0, "\(train.stderr)")
        let model = runDir.appendingPathComponent("model")
        let script = model.appendingPathComponent(ScoringScript.fileName)
        try #require(FileManager.default.fileExists(atPath: script.path), "no score.py beside model.json")

        let images = try Self.writeImages(in: dir) + [bundle.appendingPathComponent("images/0000.png").path]
        let predict = try Self.spoolctl(["predict", "--model", model.path, "--json"] + images)
        try #require(predict.status == 0, "\(predict.stderr)")
        let driver = dir.appendingPathComponent("driver.py")
        try Self.driver.write(to: driver, atomically: true, encoding: .utf8)
        let scored = try Self.run(TrainingSupport.debianPython, [driver.path, script.path] + images)
        try #require(scored.status == 0, "\(scored.stderr)")

        let expected = try #require(try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [[String: Any]])
        let got = try #require(try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any])
        #expect(got["timm"] as? Bool == false, "Debian's Python has no timm: the script's own definitions must run")
        var worst = 0.0
        for way in ["single", "batch", "v2"] {
            let results = try #require(got[way] as? [[String: Any]], "\(way)")
            try #require(results.count == images.count, "\(way): \(results.count) results for \(images.count) images")
            for (i, (want, have)) in zip(expected, results).enumerated() {
                // Azure's shape: probs and labels, every class in class order (no filename for raw bytes).
                #expect(Set(have.keys) == ["probs", "labels"], "\(way) \(i): \(have.keys.sorted())")
                #expect(have["labels"] as? [String] == want["labels"] as? [String], "\(way) \(images[i])")
                let p = try #require(want["probs"] as? [Double]), q = try #require(have["probs"] as? [Double])
                try #require(p.count == q.count)
                for (a, b) in zip(p, q) { worst = max(worst, abs(a - b)) }
                if !c.multilabel { #expect(abs(q.reduce(0, +) - 1) < 1e-5, "a softmax sums to 1") }
            }
        }
        // A batch with a bad input: one result per input, an error in the bad ones' places, the rest scored.
        let mixed = try #require(got["mixed"] as? [[String: Any]])
        let batch = try #require(got["batch"] as? [[String: Any]])
        try #require(mixed.count == 4, "\(mixed.count) results for 4 inputs")
        #expect((mixed[1]["error"] as? String)?.contains("input 1: not a decodable image") == true, "\(mixed[1])")
        #expect((mixed[2]["error"] as? String)?.contains("input 2 (/nonexistent/x.png): cannot read it") == true, "\(mixed[2])")
        #expect(mixed[2]["filename"] as? String == "/nonexistent/x.png")
        for (have, want) in [(mixed[0], batch[0]), (mixed[3], batch[1])] {
            #expect(have["error"] == nil)
            let p = try #require(have["probs"] as? [Double]), q = try #require(want["probs"] as? [Double])
            #expect(p.count == q.count && zip(p, q).allSatisfy { abs($0 - $1) <= 1e-5 }, "the good inputs score as in a clean batch")
        }
        print("score.py vs spoolctl predict, \(c.testDescription): max |prob diff| \(worst)")
        #expect(worst <= Self.tolerance, "max |prob diff| \(worst)")
    }
}
