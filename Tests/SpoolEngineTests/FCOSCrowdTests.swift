import Foundation
import SpoolEngine
import Testing

/// FCOS with a crowd region (Azure's isCrowd): the region is no object to match, and the points it covers that
/// match nothing are neither object nor background, so the classification loss leaves them out while the box
/// and centerness losses (over the matched points) stay those of the image without the region.
@Suite(.serialized)
struct FCOSCrowdTests {
    @Test func crowdPointsLeaveOnlyTheClassificationLoss() throws {
        try EngineRuntime.setThreads(1)
        defer { try? EngineRuntime.setThreads(nil) }
        let dir = try TestSupport.temporaryDirectory("fcos-crowd")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("image.png").path
        var pixels = [UInt8](repeating: 30, count: 96 * 96 * 3)
        for y in 10..<43 { for x in 10..<43 { for ch in 0..<3 { pixels[(y * 96 + x) * 3 + ch] = UInt8(200 - 60 * ch) } } }
        for y in 53..<91 { for x in 53..<91 { pixels[(y * 96 + x) * 3] = 220 } }
        try ImageLoader.write(path: path, pixels: pixels, width: 96, height: 96, channels: 3)

        var options = ModelOptions(name: "fcos_resnet50_fpn", task: .objectDetection, numClasses: 2)
        options.minSize = 96
        options.maxSize = 96
        let model = try Model(options)
        var trainerOptions = TrainerOptions()
        trainerOptions.learningRate = 0
        trainerOptions.momentum = 0
        trainerOptions.weightDecay = 0
        let trainer = try Trainer(model: model, options: trainerOptions)
        func losses(crowd: Bool) throws -> [String: Double] {
            let dataset = try Dataset(task: .objectDetection, numClasses: 2)
            let image = try dataset.addImage(path)
            _ = try dataset.addObject(image: image, classID: 0, box: [0.1, 0.1, 0.45, 0.45])
            if crowd { _ = try dataset.addObject(image: image, classID: 1, box: [0.55, 0.55, 0.95, 0.95], crowd: true) }
            var loaderOptions = LoaderOptions()
            loaderOptions.batchSize = 1
            let loader = try ImageLoader(dataset: dataset, options: loaderOptions)
            try loader.startEpoch(0)
            return try #require(try trainer.step(loader)).losses
        }
        let without = try losses(crowd: false), with = try losses(crowd: true)
        print("FCOS without a crowd region \(without), with one \(with)")
        for name in ["bbox_regression", "bbox_ctrness"] {
            let a = try #require(without[name]), b = try #require(with[name])
            #expect(a > 0 && abs(a - b) <= 1e-6 * a, "\(name): \(a) without the crowd region, \(b) with it")
        }
        let a = try #require(without["classification"]), b = try #require(with["classification"])
        #expect(b < a, "the crowd's points leave the focal loss: \(b) with the region, \(a) without")
    }
}
