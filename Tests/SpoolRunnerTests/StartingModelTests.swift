import Foundation
import Logging
import SpoolCore
import SpoolStore
import Testing
@testable import SpoolRunner

/// Which model a job's trials start from: `checkpoint_run_id` naming a job, a schedule's warm start, or the
/// settings' own weights.
@Suite struct StartingModelTests {
    static func executor(_ root: URL) throws -> JobExecutor {
        let layout = SpoolLayout(root: root)
        try layout.create()
        let store = try JobStore(path: layout.database.path)
        return JobExecutor(layout: layout, store: store, options: .init(trainer: URL(fileURLWithPath: "/bin/false"), owner: "test"),
                           logger: Logger(label: "test"))
    }

    @Test func checkpointRunIDNamingAJobStartsFromItsOutboxModel() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("start-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let executor = try Self.executor(root)
        let model = executor.layout.outbox("j-20261129-0001").appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: model.appendingPathComponent("model.json"))

        let named = try JobSettings.parse("task: image_classification\ntraining_parameters: {checkpoint_run_id: j-20261129-0001}\n")
        #expect(executor.resolveStartingModel(settings: named) == model.path)
        // A job without a model there: nothing to start from (the trainer then says what is missing).
        let missing = try JobSettings.parse("task: image_classification\ntraining_parameters: {checkpoint_run_id: j-20261129-0002}\n")
        #expect(executor.resolveStartingModel(settings: missing) == nil)
    }

    @Test func aWarmStartYieldsToTheSettingsOwnWeights() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("start-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let executor = try Self.executor(root)
        executor.origin = JobOrigin(name: "fridge", lineage: "fridge", warmStartFrom: "/spool/outbox/j-1/model", note: "test")
        let plain = try JobSettings.parse("task: image_classification\n")
        #expect(executor.resolveStartingModel(settings: plain) == "/spool/outbox/j-1/model")
        let own = try JobSettings.parse("task: image_classification\ntraining_parameters: {pretrained_weights: /w/resnet18.safetensors}\n")
        #expect(executor.resolveStartingModel(settings: own) == nil)
    }
}
