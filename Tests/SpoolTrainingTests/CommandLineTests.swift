import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// The built `spoolctl` (and the spool-trainer it hands engine commands to), run as a user runs them.
@Suite(.serialized)
struct CommandLineTests {
    static let bin: URL = {
        let debug = TrainingSupport.repository.appendingPathComponent(".build/debug")
        return debug
    }()

    typealias Output = TrainingSupport.Output

    static func spoolctl(_ arguments: [String]) throws -> Output {
        try TrainingSupport.run(bin.appendingPathComponent("spoolctl"), arguments)
    }

    @Test func helpTeaches() throws {
        let help = try Self.spoolctl(["train", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("BUNDLE is a folder holding settings.yaml"))
        #expect(help.stdout.contains("Examples:"))
        for command in ["predict", "import-model", "doctor", "example"] {
            let h = try Self.spoolctl([command, "--help"])
            #expect(h.status == 0 && h.stdout.contains("USAGE"), "\(command)")
        }
    }

    @Test func trainThenPredictInAzureScoringFormat() throws {
        let dir = try TrainingSupport.temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = dir.appendingPathComponent("shapes")
        let example = try Self.spoolctl(["example", "--out", bundle.path, "--per-class", "6", "--size", "32"])
        #expect(example.status == 0, "\(example.stderr)")
        let out = dir.appendingPathComponent("run")
        let train = try Self.spoolctl(["train", bundle.path, "--out", out.path, "--set", "number_of_epochs=1",
                                       "--set", "train_crop_size=32", "--set", "valid_crop_size=32",
                                       "--set", "valid_resize_size=32", "--set", "training_batch_size=4"])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("accuracy"))
        #expect(train.stderr.contains("img/s") && train.stderr.contains("ETA"))

        let image = bundle.appendingPathComponent("images/0000.png").path
        let predict = try Self.spoolctl(["predict", "--model", out.appendingPathComponent("model").path, image, image, "--json"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as! [[String: Any]]
        #expect(json.count == 2)
        #expect(json[0]["filename"] as? String == image)
        #expect(json[0]["labels"] as? [String] == ["circle", "square", "triangle"])
        let probs = json[0]["probs"] as! [Double]
        #expect(abs(probs.reduce(0, +) - 1) < 1e-4)

        let top = try Self.spoolctl(["predict", "--model", out.appendingPathComponent("model").path, image, "--top", "1"])
        #expect(top.status == 0)
        #expect(top.stdout.hasPrefix("\(image): ") && top.stdout.split(separator: ",").count == 1)

        // Batch scoring: a folder, a JSONL of image_url and a bad image; the same numbers as predict, the bad
        // image an error line, the rest scored.
        let bad = dir.appendingPathComponent("bad.png")
        try Data("not an image".utf8).write(to: bad)
        let jsonl = dir.appendingPathComponent("scores.jsonl")
        let score = try Self.spoolctl(["score", "--model", out.appendingPathComponent("model").path,
                                       bundle.appendingPathComponent("images").path, bundle.appendingPathComponent("train.jsonl").path,
                                       bad.path, "--jsonl", jsonl.path])
        #expect(score.status == 0, "\(score.stderr)")
        #expect(score.stderr.contains("img/s") && score.stderr.contains("1 could not be read"), "\(score.stderr)")
        let lines = try String(contentsOf: jsonl, encoding: .utf8).split(separator: "\n")
        let scored = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let imageCount = try FileManager.default.contentsOfDirectory(atPath: bundle.appendingPathComponent("images").path).count
        // The JSONL names the folder's images again (relative to its own folder): each is scored once.
        #expect(scored.count == imageCount + 1)
        #expect(scored.last?["error"] as? String != nil)
        let first = try #require(scored.first { $0["filename"] as? String == image })
        for (a, b) in zip(first["probs"] as! [Double], probs) { #expect(abs(a - b) < 1e-6) }

        // A second run into the same folder is refused: nothing is overwritten (the one overwrite rule).
        let again = try Self.spoolctl(["train", bundle.path, "--out", out.path])
        #expect(again.status != 0 && again.stderr.contains("\(out.path) exists; pass --force to replace it"), "\(again.stderr)")
    }

    @Test func badSettingsAreRefusedWithKeyValueAndLine() throws {
        let dir = try TrainingSupport.temporaryDirectory("cli-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = dir.appendingPathComponent("shapes")
        _ = try Self.spoolctl(["example", "--out", bundle.path, "--per-class", "4", "--size", "32"])
        let settings = """
            task: image_classification
            training_data: {path: train.jsonl}
            training_parameters:
              model_name: resnet18
              learning_rate: 2.5
              optimizer: rmsprop
            """
        try settings.write(to: bundle.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        let result = try Self.spoolctl(["train", bundle.path, "--out", dir.appendingPathComponent("run").path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("settings.yaml:5"), "\(result.stderr)")
        #expect(result.stderr.contains("learning_rate"))
        #expect(result.stderr.contains("optimizer") && result.stderr.contains("sgd"))
    }

    @Test func importModelMakesAFolderThatPredicts() throws {
        let dir = try TrainingSupport.temporaryDirectory("cli-import")
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("mobilenet_v2.safetensors").path
        try Model(name: "mobilenetv2", numClasses: 4).save(to: weights)
        let labels = dir.appendingPathComponent("labels.txt")
        try "cat\ndog\nfox\nowl\n".write(to: labels, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("model")
        let result = try Self.spoolctl(["import-model", "--model", "mobilenetv2", "--weights", weights,
                                        "--labels", labels.path, "--out", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        let manifest = try ModelManifest.read(from: out)
        #expect(manifest.classes == ["cat", "dog", "fox", "owl"])
        #expect(manifest.preprocessing.validResizeSize == 256 && manifest.preprocessing.validCropSize == 224)
        // score.py beside the manifest, and valid Python for the interpreter that will run it.
        let script = try String(contentsOf: out.appendingPathComponent(ScoringScript.fileName), encoding: .utf8)
        #expect(script == (try String(contentsOf: ScoringScript.sourceFolder().appendingPathComponent(ScoringScript.fileName), encoding: .utf8)))
        let package = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent(ScoringScript.packageName).path)
        #expect(Set(package).isSuperset(of: ["__init__.py", "classification.py", "detection.py", "weights.py"]), "\(package)")
        for part in ["model_settings = {", "def init():", "def run(data):", "AZUREML_MODEL_DIR"] {
            #expect(script.contains(part), "\(part)")
        }
        let parse = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython),
                                            ["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())",
                                             out.appendingPathComponent(ScoringScript.fileName).path])
        #expect(parse.status == 0, "\(parse.stderr)")

        let image = dir.appendingPathComponent("x.jpg").path
        try ImageLoader.write(path: image, pixels: [UInt8](repeating: 120, count: 300 * 200 * 3), width: 300, height: 200, channels: 3)
        let predict = try Self.spoolctl(["predict", "--model", out.path, image, "--json"])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout.contains("\"owl\""))

        // Three labels for a four-output head: refused, saying why.
        try "cat\ndog\nfox\n".write(to: labels, atomically: true, encoding: .utf8)
        let wrong = try Self.spoolctl(["import-model", "--model", "mobilenetv2", "--weights", weights,
                                       "--labels", labels.path, "--out", dir.appendingPathComponent("m2").path])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("classifier.1.weight") && wrong.stderr.contains("head must have 3 outputs"), "\(wrong.stderr)")
    }

    @Test func doctorReportsTheEngineAndOpenBLAS() throws {
        let result = try Self.spoolctl(["doctor", "--json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect((json["libtorch"] as? String)?.hasPrefix("1.") == true || (json["libtorch"] as? String)?.hasPrefix("2.") == true)
        #expect((json["blas_library"] as? String)?.contains("openblas") == true)
        #expect(json["sqlite"] != nil && json["libarchive"] != nil)
        // The text form prints every key whole (openblas_num_threads was once cut to 18 characters).
        let text = try Self.spoolctl(["doctor"])
        let keys = text.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        for key in json.keys where key != "problems" { #expect(keys.contains(key), "\(key) in \(text.stdout)") }
        // NMS and RoIAlign: torchvision's kernels from Debian's python3-torchvision (the test set-up installs it),
        // named by the file really loaded.
        let kernels = json["detection_kernels"] as? String ?? ""
        #expect(kernels.hasPrefix("torchvision /") && FileManager.default.fileExists(atPath: String(kernels.dropFirst("torchvision ".count))), "\(kernels)")
        // A CPU with AVX2 never runs OpenBLAS's SSE3 fallback kernels (Debian's 0.3.21 does not know newer CPUs).
        let cpuinfo = String(decoding: FileManager.default.contents(atPath: "/proc/cpuinfo") ?? Data(), as: UTF8.self)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        let blas = json["blas_kernels"] as? String ?? ""
        #expect(!blas.isEmpty, "\(json)")
        if flags.isSuperset(of: ["avx2", "fma"]) {
            #expect(!["Prescott", "Core2", "Nehalem", "Sandybridge"].contains(blas), "OpenBLAS kernels \(blas) on an AVX2 CPU")
        }
    }
}
