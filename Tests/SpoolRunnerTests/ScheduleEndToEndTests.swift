import Foundation
import SpoolCore
import Testing

/// A schedule driven through `spoolctl serve --once --now T` (the clock injected; nothing waits for 02:00):
/// it fires and trains; new data arrives; the next firing warm-starts from the model in use, compares and
/// promotes the better model; a worse one is not promoted.
@Suite(.serialized)
struct ScheduleEndToEndTests {
    /// Writes a generated bundle into `folder` (replacing what was there, as a refreshing process would).
    static func refresh(_ folder: URL, perClass: Int, size: Int, settings: String) throws {
        let fresh = folder.deletingLastPathComponent().appendingPathComponent(".fresh-\(UUID().uuidString)")
        let example = try RunnerSupport.spoolctl(["example", "--out", fresh.path, "--per-class", "\(perClass)", "--size", "\(size)"])
        guard example.status == 0 else { throw TestFailure("spoolctl example failed: \(example.stderr)") }
        try settings.write(to: fresh.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.moveItem(at: fresh, to: folder)
    }

    static func settings(epochs: Int, learningRate: Double, crop: Int) -> String {
        """
        task: image_classification
        limits: {timeout_minutes: 30}
        training_parameters:
          model_name: resnet18
          number_of_epochs: \(epochs)
          learning_rate: \(learningRate)
          training_batch_size: 8
          validation_batch_size: 8
          train_crop_size: \(crop)
          valid_resize_size: \(crop)
          valid_crop_size: \(crop)
          early_stopping: 0
          seed: 3
        """
    }

    static func job(_ spool: URL, _ id: String) throws -> JobStatusDocument.Detail {
        try RunnerSupport.detail(spool: spool, job: id)
    }

    static func comparison(_ outbox: String) throws -> ModelComparison {
        let data = try Data(contentsOf: URL(fileURLWithPath: outbox + "/comparison.json"))
        return try ContractCoding.decoder().decode(ModelComparison.self, from: data)
    }

    @Test func aScheduleRetrainsAndPromotesOnlyABetterModel() throws {
        let dir = try RunnerSupport.temporaryDirectory("schedule-e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let source = dir.appendingPathComponent("source")
        #expect(try RunnerSupport.spoolctl(["init", "--spool", spool.path]).status == 0)
        // A first model that has barely moved from its initialisation.
        try Self.refresh(source, perClass: 10, size: 40, settings: Self.settings(epochs: 1, learningRate: 0.000001, crop: 40))
        let add = try RunnerSupport.spoolctl(["schedule", "add", "shapes", "--spool", spool.path, "--cron", "0 2 * * *",
                                              "--time-zone", "Europe/Berlin", "--folder", source.path])
        #expect(add.status == 0, "\(add.stderr)")

        func serve(at now: String) throws {
            let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--now", now])
            #expect(serve.status == 0, "\(serve.stderr)")
        }
        // First seen on the 29th at 13:00 Berlin time: nothing due yet.
        try serve(at: "2026-11-29T12:00:00Z")
        #expect(try RunnerSupport.status(spool: spool).isEmpty)

        // 02:00 Berlin on the 30th (01:00 UTC): the first firing trains, and as the first model it is promoted.
        try serve(at: "2026-11-30T01:00:30Z")
        var jobs = try RunnerSupport.status(spool: spool)
        #expect(jobs.count == 1)
        let first = try #require(jobs.first)
        #expect(first.state == "COMPLETED", "\(first)")
        let firstID = first.id
        let firstOutbox = try #require(first.outbox)
        #expect(try Self.comparison(firstOutbox).promoted == true)
        let latest = spool.appendingPathComponent("outbox/shapes/latest")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: latest.path) == "../\(firstID)/model")

        // New data arrives, with settings that learn; the next firing warm-starts from the model in use.
        try Self.refresh(source, perClass: 20, size: 40, settings: Self.settings(epochs: 6, learningRate: 0.01, crop: 40))
        try serve(at: "2026-12-01T01:00:30Z")
        jobs = try RunnerSupport.status(spool: spool)
        let second = try #require(jobs.first { $0.id != firstID })
        #expect(second.state == "COMPLETED", "\(second)")
        let secondID = second.id
        let secondOutbox = try #require(second.outbox)
        let log = try String(contentsOfFile: secondOutbox + "/job.log", encoding: .utf8)
        #expect(log.contains("warm start from the model in use") && log.contains("every trial starts from"), "\(log)")
        let promoted = try Self.comparison(secondOutbox)
        #expect(promoted.promoted == true, "\(promoted)")
        #expect(promoted.newValue > (promoted.previousValue ?? 1))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: latest.path) == "../\(secondID)/model")
        // The comparison is in status too.
        #expect(second.reason.contains("promoted"), "\(second)")

        // A firing that cannot do better (from scratch, barely training) is compared and not promoted.
        var schedule = try String(contentsOf: spool.appendingPathComponent("schedules/shapes.yaml"), encoding: .utf8)
        schedule = schedule.replacingOccurrences(of: "warm_start: true", with: "warm_start: false")
        try schedule.write(to: spool.appendingPathComponent("schedules/shapes.yaml"), atomically: true, encoding: .utf8)
        try Self.refresh(source, perClass: 20, size: 40, settings: Self.settings(epochs: 1, learningRate: 0.000001, crop: 40))
        try serve(at: "2026-12-02T01:00:30Z")
        jobs = try RunnerSupport.status(spool: spool)
        let third = try #require(jobs.first { ![firstID, secondID].contains($0.id) })
        #expect(third.state == "COMPLETED", "\(third)")
        let kept = try Self.comparison(try #require(third.outbox))
        #expect(kept.promoted == false, "\(kept)")
        #expect(kept.reason.contains("the model in use stays"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: latest.path) == "../\(secondID)/model")

        // `spoolctl schedules` shows the last run, the next and the result.
        // The table's "next run" is read on the same injected clock as the firings (the clock the test drives).
        let table = try RunnerSupport.spoolctl(["schedules", "--spool", spool.path, "--now", "2026-12-02T01:00:31Z"])
        #expect(table.stdout.contains("shapes") && table.stdout.contains("Europe/Berlin") && table.stdout.contains("2026-12-03 02:00"), "\(table.stdout)")
        let history = try String(contentsOf: spool.appendingPathComponent("outbox/shapes/history.jsonl"), encoding: .utf8)
        #expect(history.split(separator: "\n").count == 2)
    }

    /// `spoolctl retrain`: the best configuration on new data, compared with the earlier job's model.
    @Test func retrainRerunsTheBestConfigurationOnNewData() throws {
        let dir = try RunnerSupport.temporaryDirectory("retrain")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = dir.appendingPathComponent("first")
        try Self.refresh(bundle, perClass: 8, size: 32, settings: Self.settings(epochs: 1, learningRate: 0.01, crop: 32) + """

            limits: {timeout_minutes: 30, max_trials: 2}
            sweep: {sampling_algorithm: grid}
            search_space: [{momentum: "choice(0.9, 0.5)"}]
            """.replacingOccurrences(of: "limits: {timeout_minutes: 30}\n", with: ""))
        // The settings above name limits twice; keep the sweep's.
        var text = try String(contentsOf: bundle.appendingPathComponent("settings.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "limits: {timeout_minutes: 30}\n", with: "")
        try text.write(to: bundle.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)
        #expect(try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path]).status == 0)
        let first = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(first.state == "COMPLETED", "\(first)")
        let firstID = first.id
        let best = try #require(try Self.job(spool, firstID).bestTrial)
        let bestMomentum = try Self.job(spool, firstID).trials.first { $0.number == best }?.hyperparameters["momentum"]?.number

        let newData = dir.appendingPathComponent("new")
        try Self.refresh(newData, perClass: 10, size: 32, settings: "ignored: true\n")
        let retrain = try RunnerSupport.spoolctl(["retrain", "--spool", spool.path, firstID, "--data", newData.path, "--warm-start"])
        #expect(retrain.status == 0, "\(retrain.stderr)")
        #expect(try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path]).status == 0)
        let second = try #require(try RunnerSupport.status(spool: spool).first { $0.id != firstID })
        #expect(second.state == "COMPLETED", "\(second)")
        let secondID = second.id
        // One trial, with the best trial's momentum fixed.
        let detail = try Self.job(spool, secondID)
        #expect(detail.trials.count == 1)
        let settings = try String(contentsOf: spool.appendingPathComponent("jobs/\(secondID)/bundle/settings.json"), encoding: .utf8)
        #expect(settings.contains("\"momentum\" : \(bestMomentum ?? -1)") || settings.contains("\"momentum\": \(bestMomentum ?? -1)"), "\(settings)")
        let comparison = try Self.comparison(try #require(second.outbox))
        #expect(comparison.previousValue != nil, "\(comparison)")
        let latest = try FileManager.default.destinationOfSymbolicLink(atPath: spool.appendingPathComponent("outbox/first/latest").path)
        #expect(latest == (comparison.promoted ? "../\(secondID)/model" : "../\(firstID)/model"))
    }
}
