import Foundation
import SpoolEngine
import Testing

/// The classification training step against torchvision on a fixed tiny batch (detectron2's golden-loss
/// pattern): the same starting weights, images, labels and optimiser give the same loss before each of three
/// SGD steps, so the forward, the loss, the backward and the update all agree with PyTorch's.
@Suite(.serialized)
struct GoldenStepTests {
    @Test func threeSGDStepsGiveTorchvisionsLosses() throws {
        try EngineRuntime.setThreads(1)
        defer { try? EngineRuntime.setThreads(nil) }
        let dir = try TestSupport.temporaryDirectory("golden-step")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try TestSupport.run(TestSupport.debianPython,
                                [TestSupport.referenceScripts.appendingPathComponent("export_golden_step.py").path, dir.path])
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("losses.json"))) as? [String: Any])
        let labels = try #require(reference["labels"] as? [Int]), expected = try #require(reference["losses"] as? [Double])

        let model = try Model(name: "resnet18", numClasses: 3)
        let report = try model.load(weights: dir.appendingPathComponent("weights.safetensors").path, replaceHead: false)
        #expect(report.missing == 0 && report.unexpected == 0)
        let dataset = try Dataset(task: .multiclass, numClasses: 3)
        for (i, label) in labels.enumerated() {
            let image = try dataset.addImage(dir.appendingPathComponent("image\(i).png").path)
            try dataset.addClass(image: image, classID: label)
        }
        var options = LoaderOptions()
        options.batchSize = 2
        options.train = false  // the fixed batch: no augmentation
        options.resizeSize = 32
        options.cropSize = 32
        let loader = try ImageLoader(dataset: dataset, options: options)
        var trainerOptions = TrainerOptions()
        trainerOptions.learningRate = 0.01
        trainerOptions.memoryFormat = .contiguous
        let trainer = try Trainer(model: model, options: trainerOptions)
        for (step, want) in expected.enumerated() {
            try loader.startEpoch(step)
            let result = try #require(try trainer.step(loader))
            print("golden step \(step + 1): loss \(result.loss), torchvision \(want)")
            #expect(abs(result.loss - want) <= 1e-4 * max(1, abs(want)), "step \(step + 1): \(result.loss), torchvision \(want)")
        }
    }
}
