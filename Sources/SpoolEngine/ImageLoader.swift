import CSpoolEngine
import Foundation

/// How a loader turns image files into batches (torchvision semantics for every augmentation).
public struct LoaderOptions: Sendable, Equatable {
    public var batchSize = 16
    /// Training: RandomResizedCrop, horizontal flip, colour jitter, shuffling. Otherwise: resize, centre crop, in order.
    public var train = false
    public var cropSize = 224
    public var resizeSize = 256
    public var mean: [Float] = [0.485, 0.456, 0.406]
    public var std: [Float] = [0.229, 0.224, 0.225]
    public var scale: ClosedRange<Float> = 0.08...1.0
    public var ratio: ClosedRange<Float> = (3.0 / 4.0)...(4.0 / 3.0)
    public var horizontalFlipProbability: Float = 0.5
    public var brightness: Float = 0.4
    public var contrast: Float = 0.4
    public var saturation: Float = 0.4
    public var hue: Float = 0.0
    public var dropLast = false
    public var seed: UInt64 = 0
    public var workers = 2
    public var prefetch = 4

    public init() {}

    var raw: spool_loader_params {
        var p = spool_loader_default_params()
        p.batch_size = Int32(clamping: batchSize)
        p.train = train ? 1 : 0
        p.crop_size = Int32(clamping: cropSize)
        p.resize_size = Int32(clamping: resizeSize)
        p.mean = (mean[0], mean[1], mean[2])
        p.std = (std[0], std[1], std[2])
        p.scale_min = scale.lowerBound
        p.scale_max = scale.upperBound
        p.ratio_min = ratio.lowerBound
        p.ratio_max = ratio.upperBound
        p.hflip_prob = horizontalFlipProbability
        p.brightness = brightness
        p.contrast = contrast
        p.saturation = saturation
        p.hue = hue
        p.drop_last = dropLast ? 1 : 0
        p.seed = seed
        p.workers = Int32(clamping: workers)
        p.prefetch = Int32(clamping: prefetch)
        return p
    }
}

/// Decodes, augments and batches images on background threads, ahead of the trainer.
public final class ImageLoader {
    let handle: OpaquePointer
    public let count: Int
    public let targetWidth: Int
    public let options: LoaderOptions

    /// `targets` holds `count * targetWidth` values: class indices (width 1) or multi-hot rows.
    public init(paths: [String], targets: [Float], targetWidth: Int, options: LoaderOptions) throws(EngineError) {
        guard targets.count == paths.count * targetWidth else {
            throw EngineError(status: SPOOL_ERR_INVALID_ARGUMENT, operation: "ImageLoader: \(targets.count) targets for \(paths.count) images of width \(targetWidth)")
        }
        var out: OpaquePointer?
        var raw = options.raw
        let cStrings = paths.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        let status = cStrings.map { UnsafePointer($0) }.withUnsafeBufferPointer { pathBuf in
            targets.withUnsafeBufferPointer { targetBuf in
                spool_loader_create(pathBuf.baseAddress, targetBuf.baseAddress, Int64(paths.count),
                                    Int32(targetWidth), &raw, &out)
            }
        }
        try check(status, "spool_loader_create")
        guard let out else { throw EngineError(status: SPOOL_ERR_INTERNAL, operation: "spool_loader_create") }
        self.handle = out
        self.count = paths.count
        self.targetWidth = targetWidth
        self.options = options
    }

    deinit { spool_loader_free(handle) }

    public func startEpoch(_ epoch: Int) throws(EngineError) {
        try check(spool_loader_start_epoch(handle, Int64(epoch)), "spool_loader_start_epoch")
    }

    public var batchCount: Int {
        get throws(EngineError) {
            var n: Int64 = 0
            try check(spool_loader_num_batches(handle, &n), "spool_loader_num_batches")
            return Int(n)
        }
    }

    public struct Batch: Sendable {
        public let images: [Float]
        public let targets: [Float]
        public let size: Int
        public let side: Int
    }

    /// The next batch, copied out (for tests and inspection; training reads batches inside the engine).
    public func next() throws(EngineError) -> Batch? {
        var view = spool_batch_view()
        try check(spool_loader_next(handle, &view), "spool_loader_next")
        guard view.size > 0, let images = view.images, let targets = view.targets else { return nil }
        let n = Int(view.size), side = Int(view.height)
        return Batch(images: Array(UnsafeBufferPointer(start: images, count: n * 3 * side * side)),
                     targets: Array(UnsafeBufferPointer(start: targets, count: n * Int(view.target_width))),
                     size: n, side: side)
    }

    /// Validation preprocessing of one image (resize, centre crop, normalise) into 3 x crop x crop floats.
    public static func preprocess(path: String, options: LoaderOptions) throws(EngineError) -> [Float] {
        var raw = options.raw
        var out = [Float](repeating: 0, count: 3 * options.cropSize * options.cropSize)
        let capacity = Int64(out.count)
        let status = out.withUnsafeMutableBufferPointer { spool_image_preprocess(path, &raw, $0.baseAddress, capacity) }
        try check(status, "spool_image_preprocess")
        return out
    }

    /// The decoded size of an image, or an error naming the file when it cannot be decoded.
    public static func probe(path: String) throws(EngineError) -> (width: Int, height: Int) {
        var w: Int32 = 0, h: Int32 = 0
        try check(spool_image_probe(path, &w, &h), "spool_image_probe")
        return (Int(w), Int(h))
    }
}

extension ImageLoader {
    /// Encodes 8-bit pixels (grey 1, RGB 3 or RGBA 4 channels) to a file; the extension picks the format.
    public static func write(path: String, pixels: [UInt8], width: Int, height: Int, channels: Int) throws(EngineError) {
        guard pixels.count == width * height * channels else {
            throw EngineError(status: SPOOL_ERR_INVALID_ARGUMENT, operation: "ImageLoader.write: \(pixels.count) bytes for \(width)x\(height)x\(channels)")
        }
        let status = pixels.withUnsafeBufferPointer {
            spool_image_write(path, $0.baseAddress, Int32(width), Int32(height), Int32(channels))
        }
        try check(status, "spool_image_write")
    }
}
