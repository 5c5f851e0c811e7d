import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// Regression tests for the defects a new user hit: validation that checks what it says, truncated images,
/// weight files as the references ship them, scoring a bundle's JSONL, the trials' logs.
@Suite(.serialized)
struct ShippedDefectTests {
    static func spoolctl(_ arguments: [String], environment: [String: String?] = [:]) throws -> TrainingSupport.Output {
        try TrainingSupport.run(CommandLineTests.bin.appendingPathComponent("spoolctl"), arguments, environment: environment)
    }

    /// The first 60% of a JPEG: libjpeg decodes it with a warning, Pillow refuses it, and so does Spool.
    static func truncateIntoJPEG(_ png: URL, _ jpeg: URL) throws {
        let script = """
            import sys; from PIL import Image
            Image.open(sys.argv[1]).convert('RGB').resize((64, 64)).save(sys.argv[2], quality=95)
            data = open(sys.argv[2], 'rb').read(); open(sys.argv[2], 'wb').write(data[:int(len(data) * 0.6)])
            """
        let result = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython), ["-c", script, png.path, jpeg.path])
        guard result.status == 0 else { throw TestFailure("python: \(result.stderr)") }
    }

    @Test func aTruncatedJPEGIsRefusedByValidationTrainingAndScoring() throws {
        let dir = try TrainingSupport.temporaryDirectory("truncated")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try TrainingSupport.shapesBundle(in: dir, perClass: 5, size: 32, parameters: [
            "model_name: resnet18", "number_of_epochs: 1", "training_batch_size: 4", "train_crop_size: 32",
            "valid_resize_size: 32", "valid_crop_size: 32"])
        let jsonl = bundle.appendingPathComponent("train.jsonl")
        let first = try #require(try String(contentsOf: jsonl, encoding: .utf8).split(separator: "\n").first)
        let name = try #require(first.split(separator: "\"").first { $0.hasPrefix("images/") })
        try Self.truncateIntoJPEG(bundle.appendingPathComponent(String(name)), bundle.appendingPathComponent("images/cut.jpg"))
        try String(contentsOf: jsonl, encoding: .utf8).replacingOccurrences(of: String(name), with: "images/cut.jpg")
            .write(to: jsonl, atomically: true, encoding: .utf8)

        let validate = try Self.spoolctl(["validate", bundle.path, "--no-estimate"])
        #expect(validate.status == 1)
        #expect(validate.stdout.contains("train.jsonl:1: image_url: images/cut.jpg: not a usable image: it is truncated"), "\(validate.stdout)")

        let train = try Self.spoolctl(["train", bundle.path, "--out", dir.appendingPathComponent("run").path, "--quiet"])
        #expect(train.status != 0)
        #expect(train.stderr.contains("cut.jpg") && train.stderr.contains("truncated"), "\(train.stderr)")

        // Scoring: the cut image is an error line, the rest are scored; no raw library warning reaches stderr.
        let model = try Self.trainedModel(in: dir)
        let score = try Self.spoolctl(["score", "--model", model.path, bundle.appendingPathComponent("images").path, "--json"])
        #expect(score.status == 0, "\(score.stderr)")
        let lines = try #require(try JSONSerialization.jsonObject(with: Data(score.stdout.utf8)) as? [[String: Any]])
        let cut = lines.first { ($0["filename"] as? String)?.hasSuffix("cut.jpg") == true }
        #expect((cut?["error"] as? String)?.contains("truncated") == true, "\(String(describing: cut))")
        #expect(lines.filter { $0["probs"] != nil }.count == lines.count - 1)
        #expect(!score.stderr.contains("Corrupt JPEG") && !score.stderr.contains("imread_") && !score.stderr.contains("[ WARN"), "\(score.stderr)")

        // predict carries on as score does: an error line for the cut image, the others printed, exit status 1.
        let images = bundle.appendingPathComponent("images")
        let pngs = try FileManager.default.contentsOfDirectory(atPath: images.path).filter { $0.hasSuffix(".png") }.sorted()
        let named = [pngs[0], "cut.jpg", pngs[1]].map { images.appendingPathComponent($0).path }
        let predict = try Self.spoolctl(["predict", "--model", model.path] + named)
        #expect(predict.status == 1, "\(predict.stderr)")
        let printed = predict.stdout.split(separator: "\n").map(String.init)
        #expect(printed.count == 3, "\(predict.stdout)")
        #expect(printed.first?.hasPrefix(named[0] + ": ") == true && printed.last?.hasPrefix(named[2] + ": ") == true)
        #expect(printed.first?.contains("error") == false && printed.last?.contains("error") == false, "\(printed)")
        #expect(printed.dropFirst().first?.hasPrefix(named[1] + ": error: not a usable image: it is truncated") == true, "\(printed)")
        #expect(predict.stderr.contains("1 of 3 image(s) could not be scored: \(named[1])"), "\(predict.stderr)")
        let predictJSON = try Self.spoolctl(["predict", "--model", model.path, "--json"] + named)
        #expect(predictJSON.status == 1)
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(predictJSON.stdout.utf8)) as? [[String: Any]])
        #expect(objects.map { $0["error"] != nil } == [false, true, false], "\(objects)")
    }

    /// A small trained model folder (1 epoch, 32 px), made once per call.
    static func trainedModel(in dir: URL) throws -> URL {
        let bundle = dir.appendingPathComponent("model-bundle")
        if !FileManager.default.fileExists(atPath: bundle.path) {
            _ = try spoolctl(["example", "--out", bundle.path, "--per-class", "5", "--size", "32"])
        }
        let out = dir.appendingPathComponent("model-run-\(UUID().uuidString)")
        let train = try spoolctl(["train", bundle.path, "--out", out.path, "--quiet", "--set", "number_of_epochs=1",
                                  "--set", "train_crop_size=32", "--set", "valid_resize_size=32", "--set", "valid_crop_size=32"])
        guard train.status == 0 else { throw TestFailure("train: \(train.stderr)") }
        return out.appendingPathComponent("model")
    }

    @Test func scoringABundlesJSONLResolvesItsImagesAsTrainingDoes() throws {
        let dir = try TrainingSupport.temporaryDirectory("score-jsonl")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Self.trainedModel(in: dir)
        let bundle = dir.appendingPathComponent("model-bundle")
        // The example's JSONL names images/NAME; move them where only the datastore-style fallback finds them.
        let jsonl = bundle.appendingPathComponent("train.jsonl")
        try String(contentsOf: jsonl, encoding: .utf8).replacingOccurrences(of: "\"images/", with: "\"AmlDatastore://store/data/images/")
            .write(to: jsonl, atomically: true, encoding: .utf8)
        let count = try String(contentsOf: jsonl, encoding: .utf8).split(separator: "\n").count
        let score = try Self.spoolctl(["score", "--model", model.path, jsonl.path, "--jsonl", dir.appendingPathComponent("out.jsonl").path])
        #expect(score.status == 0, "\(score.stderr)")
        #expect(score.stderr.contains("scored \(count) of \(count) images"), "\(score.stderr)")
        #expect(!score.stderr.contains("could not be read"))
    }

    @Test func validateNeverSaysValidForACheckThatDidNotRun() throws {
        let dir = try TrainingSupport.temporaryDirectory("no-trainer")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = dir.appendingPathComponent("b")
        _ = try Self.spoolctl(["example", "--out", bundle.path, "--per-class", "4", "--size", "32"])
        let lonely = dir.appendingPathComponent("spoolctl")
        try FileManager.default.copyItem(at: CommandLineTests.bin.appendingPathComponent("spoolctl"), to: lonely)
        let result = try TrainingSupport.run(lonely, ["validate", bundle.path], environment: ["SPOOL_TRAINER": nil, "PATH": "/usr/bin:/bin"])
        #expect(result.status == 1)
        #expect(!result.stdout.contains(": valid"), "\(result.stdout)")
        #expect(result.stdout.contains("were not checked") && result.stdout.contains("SPOOL_TRAINER"), "\(result.stdout)")
    }

    @Test func validatePrintsWhatTrainingWillDo() throws {
        let dir = try TrainingSupport.temporaryDirectory("plan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = dir.appendingPathComponent("b")
        _ = try Self.spoolctl(["example", "--out", bundle.path, "--per-class", "6", "--size", "32"])
        let text = try Self.spoolctl(["validate", bundle.path])
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        for expected in ["valid", "task        image_classification", "model       resnet18, from scratch",
                         "13 training and 5 validation images", "classes     3:", "circle", "15 epoch(s)", "per epoch on this machine",
                         "threads, batch 16, "] {  // timed at the job's batch (16), not a smaller one
            #expect(text.stdout.contains(expected), "missing \(expected) in \(text.stdout)")
        }
        let json = try Self.spoolctl(["validate", bundle.path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(object["valid"] as? Bool == true)
        #expect(summary["train_images"] as? Int == 13 && summary["validation_images"] as? Int == 5)
        #expect((summary["classes"] as? [[String: Any]])?.count == 3)
        #expect((summary["seconds_per_epoch"] as? Double ?? 0) > 0)
    }

    /// Without model_name, Azure's default (ViT-B/16, a GPU model for pretrained starts) is kept, and validation says
    /// what it costs here and what this machine can train instead, both measured.
    @Test func validateAdvisesAModelThisMachineCanTrainWhenTheDefaultIsAGPUModel() throws {
        let dir = try TrainingSupport.temporaryDirectory("advice")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A small crop keeps the ViT's timing short; the point is the advice, not the number.
        let bundle = try TrainingSupport.shapesBundle(in: dir, perClass: 5, size: 32,
                                                      parameters: ["train_crop_size: 32", "valid_crop_size: 32", "valid_resize_size: 36"])
        let text = try Self.spoolctl(["validate", bundle.path])
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.contains("model       vitb16r224"), "\(text.stdout)")
        let advice = text.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("advice") } ?? ""
        #expect(advice.contains("model_name is not set") && advice.contains("on a CPU and from scratch")
                && advice.contains("resnet18 takes about") && advice.contains("model_name: resnet18"), "\(text.stdout)")

        // Named explicitly, the same model gets no advice: the user chose it.
        let settings = bundle.appendingPathComponent("settings.yaml")
        let chosen = try String(contentsOf: settings, encoding: .utf8)
            .replacingOccurrences(of: "training_parameters:\n", with: "training_parameters:\n  model_name: vitb16r224\n")
        try chosen.write(to: settings, atomically: true, encoding: .utf8)
        let again = try Self.spoolctl(["validate", bundle.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("model       vitb16r224") && !again.stdout.contains("model_name is not set"), "\(again.stdout)")
    }

    @Test func startingWeightsAreCheckedBeforeQueueing() throws {
        let dir = try TrainingSupport.temporaryDirectory("weights-check")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = dir.appendingPathComponent("b")
        _ = try Self.spoolctl(["example", "--out", bundle.path, "--per-class", "4", "--size", "32"])
        let settings = bundle.appendingPathComponent("settings.yaml")
        let original = try String(contentsOf: settings, encoding: .utf8)
        func validate(weights: String) throws -> String {
            try original.replacingOccurrences(of: "training_parameters:\n", with: "training_parameters:\n  pretrained_weights: \(weights)\n")
                .write(to: settings, atomically: true, encoding: .utf8)
            let result = try Self.spoolctl(["validate", bundle.path, "--no-estimate"])
            #expect(result.status == 1, "\(weights) passed: \(result.stdout)")
            return result.stdout
        }
        #expect(try validate(weights: "weights/missing.pth").contains("pretrained_weights = weights/missing.pth: no such file"))
        try FileManager.default.createDirectory(at: bundle.appendingPathComponent("weights"), withIntermediateDirectories: true)
        try Data("not weights".utf8).write(to: bundle.appendingPathComponent("weights/garbage.pth"))
        #expect(try validate(weights: "weights/garbage.pth").contains("not a weights file Spool reads"))
        // Weights of another architecture: names that do not fit resnet18.
        let other = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython), ["-c",
            "import sys, torch, torchvision; torch.save(torchvision.models.mobilenet_v2(num_classes=3).state_dict(), sys.argv[1])",
            bundle.appendingPathComponent("weights/mnv2.pth").path])
        #expect(other.status == 0, "\(other.stderr)")
        let misfit = try validate(weights: "weights/mnv2.pth")
        #expect(misfit.contains("do not fit model 'resnet18'"), "\(misfit)")
        #expect(!misfit.contains("spool_model_load"), "\(misfit)")
    }

    static func labels(in dir: URL, _ n: Int) throws -> URL {
        let url = dir.appendingPathComponent("labels-\(n).txt")
        try (0..<n).map { "class\($0)" }.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// torchvision's files as the reference ships them: the zip format, the legacy (pre-1.6) format, a checkpoint
    /// wrapping the state dict, and a whole pickled module; every tensor read exactly.
    @Test func pyTorchWeightFilesLoadAsShipped() throws {
        let dir = try TrainingSupport.temporaryDirectory("pth")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = """
            import sys, torch, torchvision
            torch.manual_seed(0)
            m = torchvision.models.resnet18(num_classes=3)
            for mod in m.modules():
                if isinstance(mod, torch.nn.BatchNorm2d):
                    mod.running_mean.uniform_(-1, 1); mod.running_var.uniform_(0.5, 2)
            d = sys.argv[1]
            torch.save(m.state_dict(), d + '/zip.pth')
            torch.save(m.state_dict(), d + '/legacy.pth', _use_new_zipfile_serialization=False)
            torch.save({'epoch': 4, 'model': m.state_dict(), 'optimizer': None}, d + '/checkpoint.pth')
            torch.save({'state_dict': {'module.' + k: v.half() for k, v in m.state_dict().items()}}, d + '/wrapped.pth')
            torch.save(m, d + '/module.pt')
            torch.save(m.state_dict(), d + '/reference.pth')
            """
        let made = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython), ["-c", script, dir.path])
        #expect(made.status == 0, "\(made.stderr)")
        let labels = try Self.labels(in: dir, 3)
        let compare = """
            import sys, json, torch
            sys.path.insert(0, sys.argv[1])
            from safetensors_io import load as load_file
            ref = torch.load(sys.argv[2])
            got = load_file(sys.argv[3])
            tol = float(sys.argv[4])
            bad = [k for k, v in ref.items() if k not in got or got[k].shape != v.shape or (got[k].double() - v.double()).abs().max() > tol]
            print(json.dumps({'compared': len(ref), 'bad': bad[:5]}))
            """
        for (file, tolerance) in [("zip.pth", 0.0), ("legacy.pth", 0.0), ("checkpoint.pth", 0.0), ("wrapped.pth", 2e-3), ("module.pt", 0.0)] {
            let out = dir.appendingPathComponent("imported-\(file)")
            let imported = try Self.spoolctl(["import-model", "--model", "resnet18", "--weights", dir.appendingPathComponent(file).path,
                                              "--labels", labels.path, "--out", out.path])
            #expect(imported.status == 0, "\(file): \(imported.stderr)")
            let check = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython),
                                                ["-c", compare, TrainingSupport.repository.appendingPathComponent("Tests/reference").path,
                                                 dir.appendingPathComponent("reference.pth").path,
                                                 out.appendingPathComponent("weights.safetensors").path, "\(tolerance)"])
            let result = try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any] ?? [:]
            #expect(result["compared"] as? Int == 122 && (result["bad"] as? [String])?.isEmpty == true, "\(file): \(check.stdout)\(check.stderr)")
        }
    }

    @Test func logsShowTheTrialsLogs() throws {
        let dir = try TrainingSupport.temporaryDirectory("logs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = dir.appendingPathComponent("b")
        _ = try Self.spoolctl(["example", "--out", bundle.path, "--per-class", "5", "--size", "32"])
        let settings = bundle.appendingPathComponent("settings.yaml")
        try String(contentsOf: settings, encoding: .utf8).replacingOccurrences(of: "number_of_epochs: 15", with: "number_of_epochs: 2")
            .write(to: settings, atomically: true, encoding: .utf8)
        #expect(try Self.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)
        #expect(try Self.spoolctl(["serve", "--once", "--spool", spool.path]).status == 0)
        let status = try Self.spoolctl(["status", "--spool", spool.path, "--json"])
        let jobs = try QueueStatusDocument.decode(Data(status.stdout.utf8)).jobs
        let id = try #require(jobs.first?.id)
        let all = try Self.spoolctl(["logs", "--spool", spool.path, id])
        #expect(all.status == 0)
        #expect(all.stdout.contains("==> job \(id)") && all.stdout.contains("==> trial 0"), "\(all.stdout)")
        #expect(all.stdout.contains("epoch 2/2: train loss"), "\(all.stdout)")
        let one = try Self.spoolctl(["logs", "--spool", spool.path, id, "--trial", "0", "-n", "1"])
        #expect(one.status == 0)
        #expect(!one.stdout.contains("==> job"), "\(one.stdout)")
        #expect(one.stdout.split(separator: "\n").filter { !$0.hasPrefix("==>") && !$0.isEmpty }.count <= 2, "\(one.stdout)")
        let missing = try Self.spoolctl(["logs", "--spool", spool.path, id, "--trial", "7"])
        #expect(missing.status != 0 && missing.stderr.contains("has no trial 7"))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
