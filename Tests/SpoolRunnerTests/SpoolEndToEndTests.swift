import Foundation
import SpoolCore
import Testing

/// A spool in a temporary folder, driven through the built `spoolctl` as a user (or cron) drives it.
@Suite(.serialized)
struct SpoolEndToEndTests {
    @Test func aDroppedBundleEndsInTheOutboxWithAModelThatPredicts() throws {
        let dir = try RunnerSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = try RunnerSupport.bundle(in: dir)
        let archive = dir.appendingPathComponent("shapes.tar.gz")
        try RunnerSupport.tarball(bundle, to: archive)
        #expect(try RunnerSupport.spoolctl(["init", "--spool", spool.path]).status == 0)
        let submit = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, archive.path])
        #expect(submit.status == 0, "\(submit.stderr)")

        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--progress", "0.01"])
        #expect(serve.status == 0, "\(serve.stderr)")
        // In the foreground, the trial's progress shows: its steps (here every step) and every epoch.
        let lines = serve.stderr.split(separator: "\n")
        #expect(lines.contains { $0.contains("trial 0 epoch 1/2 step ") && $0.contains(": loss ") && $0.contains("img/s") }, "\(serve.stderr)")
        #expect(lines.contains { $0.contains("trial 0 epoch 2/2: train loss ") && $0.contains("validation loss") && $0.contains("accuracy") },
                "\(serve.stderr)")
        let jobs = try RunnerSupport.status(spool: spool)
        #expect(jobs.count == 1)
        let job = try #require(jobs.first)
        #expect(job.state == "COMPLETED", "\(job)")
        #expect(job.name == "shapes")
        #expect(job.task.rawValue == "image_classification")
        #expect(job.best?.name == "accuracy")
        #expect(job.best?.value != nil)
        let outbox = try #require(job.outbox)
        for file in ["model/weights.safetensors", "model/model.json", "metrics.json", "job.json", "job.log"] {
            #expect(FileManager.default.fileExists(atPath: outbox + "/" + file), "\(file)")
        }
        // The original drop is kept under the job.
        let id = job.id
        // One copy of the model on disk: the outbox's weights are a hard link to the trial's.
        var published = stat(), trained = stat()
        #expect(stat(outbox + "/model/weights.safetensors", &published) == 0)
        #expect(stat(spool.appendingPathComponent("jobs/\(id)/trials/0/model/weights.safetensors").path, &trained) == 0)
        #expect(published.st_ino == trained.st_ino && published.st_nlink == 2)
        #expect(FileManager.default.fileExists(atPath: spool.appendingPathComponent("jobs/\(id)/original/shapes.tar.gz").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("incoming").path).isEmpty)

        let image = bundle.appendingPathComponent("images/0000.png").path
        let predict = try RunnerSupport.spoolctl(["predict", "--model", outbox + "/model", image, "--json"])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout.contains("\"circle\""))

        // The human table says the same.
        let table = try RunnerSupport.spoolctl(["status", "--spool", spool.path])
        #expect(table.stdout.contains("COMPLETED") && table.stdout.contains("accuracy"), "\(table.stdout)")

        // The same bundle again is a duplicate, kept in failed/ with the reason, not trained twice.
        _ = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, archive.path])
        #expect(try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path]).status == 0)
        #expect(try RunnerSupport.status(spool: spool).count == 1)
        let reason = try String(contentsOf: spool.appendingPathComponent("failed/shapes.tar.gz.error.json"), encoding: .utf8)
        #expect(reason.contains("duplicate"))
    }

    @Test func badSettingsAndBadJSONLLandInFailedWithLineNumbers() throws {
        let dir = try RunnerSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let badSettings = try RunnerSupport.bundle(in: dir, name: "bad-settings", extraSettings: "  learning_rate: 7")
        let badJSONL = try RunnerSupport.bundle(in: dir, name: "bad-jsonl")
        var lines = try String(contentsOf: badJSONL.appendingPathComponent("train.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = "{\"image_url\": \"images/0002.png\", \"label\": [\"circle\"]}"
        lines[4] = "{\"label\": \"square\"}"
        try (lines.joined(separator: "\n") + "\n").write(to: badJSONL.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        for bundle in [badSettings, badJSONL] {
            // submit refuses them itself (exit 14); --no-validate hands them to the daemon, whose intake is tested here.
            #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 14)
            #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, "--no-validate", bundle.path]).status == 0)
        }
        #expect(try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path]).status == 0)
        #expect(try RunnerSupport.status(spool: spool).isEmpty)
        let settingsError = try String(contentsOf: spool.appendingPathComponent("failed/bad-settings.error.json"), encoding: .utf8)
        #expect(settingsError.contains("settings.yaml:13") && settingsError.contains("learning_rate"), "\(settingsError)")
        let jsonlError = try String(contentsOf: spool.appendingPathComponent("failed/bad-jsonl.error.json"), encoding: .utf8)
        #expect(jsonlError.contains("train.jsonl:3") && jsonlError.contains("train.jsonl:5"), "\(jsonlError)")
        #expect(FileManager.default.fileExists(atPath: spool.appendingPathComponent("failed/bad-jsonl/train.jsonl").path))
        // validate says the same without queueing.
        let validate = try RunnerSupport.spoolctl(["validate", spool.appendingPathComponent("failed/bad-settings").path])
        #expect(validate.status == 1 && validate.stdout.contains("learning_rate"))
    }
}
