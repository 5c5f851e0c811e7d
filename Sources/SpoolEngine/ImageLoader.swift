import CSpoolEngine
import Foundation

/// How a model takes its images (its recipe's `ModelInput`); it selects the loader's transforms.
public enum LoaderInput: Sendable, Equatable {
    /// Classifiers: random resized crops in training; resize, then centre crop otherwise.
    case crop
    /// torchvision's detectors: zoom out, IoU crop, photometric distortion in training (the model resizes).
    case resize
    /// YOLOv5: mosaic, random affine, HSV jitter into a `side` square in training (a multiple of 32);
    /// evaluation images pass as they are (the model letterboxes them).
    case letterbox(side: Int)
}

/// How a loader turns image files into batches (torchvision semantics for every augmentation).
public struct LoaderOptions: Sendable, Equatable {
    public var batchSize = 16
    /// Training: RandomResizedCrop, horizontal flip, colour jitter, shuffling. Otherwise: resize, centre crop, in order.
    public var train = false
    /// The model's input; nil: the dataset task's usual one (crop for classification, resize otherwise).
    public var input: LoaderInput?
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
    /// Detection and segmentation training: zoom out, crop around the boxes, photometric distortion.
    public var expandProbability: Float = 0.5
    public var expandMax: Float = 2.0
    public var cropProbability: Float = 0.5
    public var photometricProbability: Float = 0.5
    /// The letterbox input's training augmentation: mosaic, random affine, HSV jitter (and the horizontal flip).
    public var mosaicProbability: Float = 1.0
    public var degrees: Float = 0
    public var translate: Float = 0.1
    public var affineScale: Float = 0.5
    public var shear: Float = 0
    public var hsvHue: Float = 0.015
    public var hsvSaturation: Float = 0.7
    public var hsvValue: Float = 0.4
    public var dropLast = false
    /// Data-parallel training: this process takes `batchSize` images of every batch of `shardCount` x
    /// `batchSize` (the same order and augmentation in every process); an incomplete last batch is dropped.
    public var shardRank = 0
    public var shardCount = 1
    public var seed: UInt64 = 0
    public var workers = 2
    public var prefetch = 4

    public init() {}

    /// The parameters for a dataset of `task` (which picks the input when `input` is nil).
    func raw(task: EngineTask) -> spool_loader_params {
        var p = spool_loader_default_params()
        p.batch_size = Int32(clamping: batchSize)
        p.train = train ? 1 : 0
        switch input ?? (task.isClassification ? .crop : .resize) {
        case .crop: p.input_kind = Int32(SPOOL_INPUT_CROP.rawValue)
        case .resize: p.input_kind = Int32(SPOOL_INPUT_RESIZE.rawValue)
        case .letterbox(let side):
            p.input_kind = Int32(SPOOL_INPUT_LETTERBOX.rawValue)
            p.letterbox_size = Int32(clamping: side)
        }
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
        p.expand_prob = expandProbability
        p.expand_max = expandMax
        p.crop_prob = cropProbability
        p.photometric_prob = photometricProbability
        p.mosaic_prob = mosaicProbability
        p.degrees = degrees
        p.translate = translate
        p.scale = affineScale
        p.shear = shear
        p.hsv_h = hsvHue
        p.hsv_s = hsvSaturation
        p.hsv_v = hsvValue
        p.drop_last = dropLast ? 1 : 0
        p.shard_rank = Int32(clamping: shardRank)
        p.shard_count = Int32(clamping: shardCount)
        p.seed = seed
        p.workers = Int32(clamping: workers)
        p.prefetch = Int32(clamping: prefetch)
        return p
    }
}

/// Decodes, augments and batches a dataset's images on background threads, ahead of the trainer.
public final class ImageLoader {
    let handle: OpaquePointer
    public let count: Int
    public let task: EngineTask
    public let options: LoaderOptions

    public init(dataset: Dataset, options: LoaderOptions) throws(EngineError) {
        var out: OpaquePointer?
        var raw = options.raw(task: dataset.task)
        try check(spool_loader_create(dataset.handle, &raw, &out), "spool_loader_create")
        guard let out else { throw EngineError(status: SPOOL_ERR_INTERNAL, operation: "spool_loader_create") }
        self.handle = out
        self.count = dataset.count
        self.task = dataset.task
        self.options = options
    }

    /// A classification loader: `targets` holds `count * targetWidth` values, class indices (width 1,
    /// multiclass) or multi-hot rows (multilabel).
    public convenience init(paths: [String], targets: [Float], targetWidth: Int, options: LoaderOptions) throws(EngineError) {
        guard targets.count == paths.count * targetWidth, targetWidth >= 1 else {
            throw EngineError(status: SPOOL_ERR_INVALID_ARGUMENT, operation: "ImageLoader: \(targets.count) targets for \(paths.count) images of width \(targetWidth)")
        }
        let multilabel = targetWidth > 1
        let classes = multilabel ? targetWidth : max(1, Int(targets.max() ?? 0) + 1)
        let dataset = try Dataset(task: multilabel ? .multilabel : .multiclass, numClasses: classes)
        for (i, path) in paths.enumerated() {
            let image = try dataset.addImage(path)
            if multilabel {
                for c in 0..<targetWidth where targets[i * targetWidth + c] > 0.5 { try dataset.addClass(image: image, classID: c) }
            } else {
                try dataset.addClass(image: image, classID: Int(targets[i]))
            }
        }
        try self.init(dataset: dataset, options: options)
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
        /// size x 3 x height x width (detection: each image in the top-left corner of the padding).
        public let images: [Float]
        /// Classification: size x targetWidth.
        public let targets: [Float]
        public let size: Int
        /// The batch's height (classification: the crop's side).
        public let side: Int
        public let height: Int
        public let width: Int
        /// Each image's size inside the padding.
        public let imageSizes: [(height: Int, width: Int)]
        /// Detection: each image's objects after its transforms, boxes in its pixels; segmentation: with their
        /// polygon parts (x, y, ... in the image's pixels).
        public var objects: [[(box: [Float], label: Int, polygons: [[Float]])]] = []
    }

    /// The next batch, copied out (for tests and inspection; training reads batches inside the engine).
    public func next() throws(EngineError) -> Batch? {
        var view = spool_batch_view()
        try check(spool_loader_next(handle, &view), "spool_loader_next")
        guard view.size > 0, let images = view.images else { return nil }
        let n = Int(view.size), height = Int(view.height), width = Int(view.width)
        let targets = view.targets.map { Array(UnsafeBufferPointer(start: $0, count: n * Int(view.target_width))) } ?? []
        let heights = view.heights.map { Array(UnsafeBufferPointer(start: $0, count: n)).map(Int.init) } ?? []
        let widths = view.widths.map { Array(UnsafeBufferPointer(start: $0, count: n)).map(Int.init) } ?? []
        var batch = Batch(images: Array(UnsafeBufferPointer(start: images, count: n * 3 * height * width)),
                          targets: targets, size: n, side: height, height: height, width: width,
                          imageSizes: zip(heights, widths).map { (height: $0, width: $1) })
        if let counts = view.box_counts, let boxes = view.boxes, let labels = view.labels {
            var k = 0, part = 0, point = 0
            for i in 0..<n {
                batch.objects.append((0..<Int(counts[i])).map { _ in
                    defer { k += 1 }
                    var polygons: [[Float]] = []
                    for _ in 0..<Int(view.part_counts?[k] ?? 0) {
                        let length = Int(view.part_lengths![part])
                        polygons.append(Array(UnsafeBufferPointer(start: view.polygon_points! + point, count: length)))
                        part += 1
                        point += length
                    }
                    return (box: (0..<4).map { boxes[4 * k + $0] }, label: Int(labels[k]), polygons: polygons)
                })
            }
        }
        return batch
    }

    /// Validation preprocessing of one image (resize, centre crop, normalise) into 3 x crop x crop floats.
    public static func preprocess(path: String, options: LoaderOptions) throws(EngineError) -> [Float] {
        var raw = options.raw(task: .multiclass)
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

extension ImageLoader {
    /// Writes a copy of the image scaled so that its longer side is at most `maxSide` (never enlarged) to
    /// `output` (format from the extension); returns its size.
    public static func thumbnail(path: String, to output: String, maxSide: Int) throws(EngineError) -> (width: Int, height: Int) {
        var w: Int32 = 0, h: Int32 = 0
        try check(spool_image_thumbnail(path, output, Int32(maxSide), &w, &h), "spool_image_thumbnail")
        return (Int(w), Int(h))
    }
}
