import Foundation
import SpoolEngine
import Testing

@Suite struct ImageLoaderTests {
    /// A 24 x 16 image: left half red, right half blue.
    static func pixels(channels: Int) -> [UInt8] {
        var px: [UInt8] = []
        for _ in 0..<16 {
            for x in 0..<24 {
                let rgb: [UInt8] = x < 12 ? [255, 0, 0] : [0, 0, 255]
                switch channels {
                case 1: px.append(x < 12 ? 200 : 50)
                case 4: px += rgb + [128]
                default: px += rgb
                }
            }
        }
        return px
    }

    @Test(arguments: ["png", "jpg", "bmp", "tif", "webp"])
    func everyFormatDecodesToRGB(format: String) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for channels in [1, 3, 4] where !(format == "jpg" && channels == 4) && !(format == "bmp" && channels == 4) {
            let path = dir.appendingPathComponent("img\(channels).\(format)").path
            try ImageLoader.write(path: path, pixels: Self.pixels(channels: channels), width: 24, height: 16, channels: channels)
            let size = try ImageLoader.probe(path: path)
            #expect(size.width == 24 && size.height == 16)
            var o = LoaderOptions()
            o.cropSize = 16
            o.resizeSize = 16
            o.mean = [0, 0, 0]
            o.std = [1, 1, 1]
            let chw = try ImageLoader.preprocess(path: path, options: o)
            #expect(chw.count == 3 * 16 * 16)
            // The centre crop keeps columns 4..<20: the left part is red (or bright grey), the right blue.
            let red = chw[0 * 256 + 8 * 16 + 1], blue = chw[2 * 256 + 8 * 16 + 14]
            if channels == 1 {
                #expect(abs(red - 200.0 / 255) < 0.05 && abs(chw[1 * 256 + 8 * 16 + 1] - red) < 0.02)
            } else {
                #expect(red > 0.9 && blue > 0.9, "\(format) \(channels): red \(red) blue \(blue)")
                #expect(chw[2 * 256 + 8 * 16 + 1] < 0.1)
            }
        }
    }

    @Test func aBrokenImageIsAnIOErrorNamingTheFile() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("broken.jpg").path
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: EngineError.self) { try ImageLoader.probe(path: path) }
        #expect(error?.code == .io)
        #expect(error?.message.contains("broken.jpg") == true)

        let loader = try ImageLoader(paths: [path], targets: [0], targetWidth: 1, options: LoaderOptions())
        try loader.startEpoch(0)
        let batchError = #expect(throws: EngineError.self) { try loader.next() }
        #expect(batchError?.message.contains("broken.jpg") == true)
    }

    func writeImages(_ count: Int, in dir: URL) throws -> [String] {
        try (0..<count).map { i in
            let path = dir.appendingPathComponent("\(i).png").path
            let px = (0..<(20 * 20 * 3)).map { UInt8(truncatingIfNeeded: $0 * (i + 3) + i) }
            try ImageLoader.write(path: path, pixels: px, width: 20, height: 20, channels: 3)
            return path
        }
    }

    @Test func trainingEpochsAreReproducibleWhateverTheWorkerCount() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = try writeImages(10, in: dir)
        func epoch(workers: Int, seed: UInt64, epoch: Int) throws -> [Float] {
            var o = LoaderOptions()
            o.train = true
            o.batchSize = 4
            o.cropSize = 12
            o.seed = seed
            o.workers = workers
            o.hue = 0.1
            let loader = try ImageLoader(paths: paths, targets: (0..<10).map(Float.init), targetWidth: 1, options: o)
            try loader.startEpoch(epoch)
            var all: [Float] = []
            while let b = try loader.next() { all += b.targets + b.images }
            return all
        }
        let a = try epoch(workers: 1, seed: 5, epoch: 1)
        #expect(a == (try epoch(workers: 3, seed: 5, epoch: 1)))
        #expect(a != (try epoch(workers: 1, seed: 6, epoch: 1)))
        #expect(a != (try epoch(workers: 1, seed: 5, epoch: 2)))
    }

    @Test func validationKeepsOrderAndEveryImage() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = try writeImages(7, in: dir)
        var o = LoaderOptions()
        o.batchSize = 3
        o.cropSize = 8
        o.resizeSize = 10
        let loader = try ImageLoader(paths: paths, targets: (0..<7).map(Float.init), targetWidth: 1, options: o)
        #expect(try loader.batchCount == 3)
        try loader.startEpoch(0)
        var targets: [Float] = []
        while let b = try loader.next() { targets += b.targets }
        #expect(targets == (0..<7).map(Float.init))
    }

    @Test func aLoneLastTrainingImageIsDroppedForBatchNorm() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = try writeImages(9, in: dir)
        var o = LoaderOptions()
        o.train = true
        o.batchSize = 4
        o.cropSize = 8
        let loader = try ImageLoader(paths: paths, targets: [Float](repeating: 0, count: 9), targetWidth: 1, options: o)
        #expect(try loader.batchCount == 2)
    }
}
