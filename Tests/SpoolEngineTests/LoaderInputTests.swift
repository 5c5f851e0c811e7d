import Foundation
import SpoolEngine
import Testing

/// The loader's transforms follow the model's input (crop, resize, letterbox: the recipe's `ModelInput`), stated
/// explicitly: a letterbox side alone selects nothing, and an input that does not fit the dataset, or a letterbox
/// without a usable side, is refused saying what is allowed.
@Suite struct LoaderInputTests {
    static func dataset(_ task: EngineTask, in dir: URL) throws -> Dataset {
        let dataset = try Dataset(task: task, numClasses: 2)
        for i in 0..<4 {
            let path = dir.appendingPathComponent("\(i).png").path
            var pixels = [UInt8](repeating: 40, count: 96 * 72 * 3)
            for k in stride(from: i * 3, to: pixels.count, by: 97) { pixels[k] = 220 }
            try ImageLoader.write(path: path, pixels: pixels, width: 96, height: 72, channels: 3)
            let image = try dataset.addImage(path)
            if task.isClassification {
                try dataset.addClass(image: image, classID: i % 2)
            } else {
                try dataset.addObject(image: image, classID: i % 2, box: [0.1, 0.2, 0.6, 0.7])
            }
        }
        return dataset
    }

    static func refusal(_ dataset: Dataset, _ input: LoaderInput) -> EngineError? {
        var options = LoaderOptions()
        options.input = input
        options.train = true
        options.batchSize = 2
        let error = #expect(throws: EngineError.self) { try ImageLoader(dataset: dataset, options: options) }
        #expect(error?.code == .invalidArgument)
        return error
    }

    @Test func aWrongCombinationIsAClearError() throws {
        let dir = try TestSupport.temporaryDirectory("loader-input")
        defer { try? FileManager.default.removeItem(at: dir) }
        let detection = try Self.dataset(.objectDetection, in: dir)
        #expect(Self.refusal(detection, .letterbox(side: 0))?.description
                == "letterbox_size 0: input letterbox needs a side that is a positive multiple of 32 (e.g. 640)")
        #expect(Self.refusal(detection, .letterbox(side: 100))?.description
                == "letterbox_size 100: input letterbox needs a side that is a positive multiple of 32 (e.g. 640)")
        #expect(Self.refusal(detection, .crop)?.description
                == "input crop does not fit the dataset's task (object detection); allowed: resize or letterbox")
        let segmentation = try Self.dataset(.instanceSegmentation, in: dir)
        #expect(Self.refusal(segmentation, .letterbox(side: 64))?.description
                == "input letterbox does not fit the dataset's task (instance segmentation); allowed: resize")
        let classification = try Self.dataset(.multiclass, in: dir)
        #expect(Self.refusal(classification, .resize)?.description
                == "input resize does not fit the dataset's task (multiclass); allowed: crop")
    }

    /// The letterbox input trains on letterbox squares; in evaluation its images pass as the resize input's do
    /// (the model letterboxes them), bit for bit.
    @Test func theInputSelectsThePipeline() throws {
        let dir = try TestSupport.temporaryDirectory("loader-input")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try Self.dataset(.objectDetection, in: dir)
        func firstBatch(_ input: LoaderInput, train: Bool) throws -> ImageLoader.Batch {
            var options = LoaderOptions()
            options.input = input
            options.train = train
            options.batchSize = 2
            options.seed = 5
            let loader = try ImageLoader(dataset: dataset, options: options)
            try loader.startEpoch(0)
            return try #require(try loader.next())
        }
        let letterboxed = try firstBatch(.letterbox(side: 64), train: true)
        #expect(letterboxed.height == 64 && letterboxed.width == 64)
        let resized = try firstBatch(.resize, train: true)
        #expect(resized.height != 64 || resized.width != 64, "\(resized.height) x \(resized.width)")
        let plain = try firstBatch(.resize, train: false), letterboxEvaluation = try firstBatch(.letterbox(side: 64), train: false)
        #expect(plain.height == 72 && plain.width == 96)
        #expect(letterboxEvaluation.images == plain.images && letterboxEvaluation.height == plain.height)
    }
}
