import CSpoolEngine
import Foundation

/// The four tasks, as the engine knows them.
public enum EngineTask: Int32, Sendable, CaseIterable {
    case multiclass = 0
    case multilabel = 1
    case objectDetection = 2
    case instanceSegmentation = 3

    public var isClassification: Bool { self == .multiclass || self == .multilabel }
}

/// How a model is built.
public struct ModelOptions: Sendable, Equatable {
    public var name: String
    public var task: EngineTask
    public var numClasses: Int
    /// ViT position embeddings are built for this side (224 unless a test uses small images).
    public var imageSize = 224
    /// "cpu", "cuda", "cuda:1".
    public var device = "cpu"
    // Detection and segmentation.
    public var minSize = 600
    public var maxSize = 1333
    public var boxScoreThreshold: Float = 0.3
    public var boxNMSThreshold: Float = 0.5
    public var detectionsPerImage = 100
    /// FrozenBatchNorm2d in the backbone: a detector that starts from ImageNet weights.
    public var frozenBatchNorm = false
    /// Backbone stages that train, from the top; nil: all.
    public var trainableBackboneLayers: Int?
    /// YOLOv5: `imageSize` is its img_size and `boxNMSThreshold` its box_iou_thresh; training batches resized
    /// to a random multiple of 32 within 50-150% of img_size; anchors (9 w, h pairs in pixels), nil: the defaults.
    public var multiScale = false
    public var anchors: [Float]?
    /// Segmentation outputs: a pasted mask's pixels above the threshold are the object's; each polygon has at
    /// most `maxPolygonPoints` points.
    public var maskPixelScoreThreshold: Float = 0.5
    public var maxPolygonPoints = 100

    public init(name: String, task: EngineTask, numClasses: Int) {
        self.name = name
        self.task = task
        self.numClasses = numClasses
    }
}

extension ModelOptions {
    /// Every option key this side can send, as the engine names it; each family takes some of them.
    public static let optionKeys = ["image_size", "min_size", "max_size", "box_score_thresh", "box_nms_thresh",
                                    "box_detections_per_img", "frozen_batch_norm", "trainable_backbone_layers",
                                    "multi_scale", "anchors", "mask_pixel_score_thresh", "max_polygon_points"]

    /// One option's value as the engine's JSON takes it.
    enum OptionValue: Encodable, Equatable {
        case integer(Int), number(Float), flag(Bool), numbers([Float])

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .integer(let v): try c.encode(v)
            case .number(let v): try c.encode(v)
            case .flag(let v): try c.encode(v)
            case .numbers(let v): try c.encode(v)
            }
        }
    }

    /// The option under an engine key; nil when unset (the family's default) or not a key of this side.
    func optionValue(_ key: String) -> OptionValue? {
        switch key {
        case "image_size": .integer(imageSize)
        case "min_size": .integer(minSize)
        case "max_size": .integer(maxSize)
        case "box_score_thresh": .number(boxScoreThreshold)
        case "box_nms_thresh": .number(boxNMSThreshold)
        case "box_detections_per_img": .integer(detectionsPerImage)
        case "frozen_batch_norm": .flag(frozenBatchNorm)
        case "trainable_backbone_layers": .integer(trainableBackboneLayers ?? -1)
        case "multi_scale": .flag(multiScale)
        case "anchors": anchors.map { .numbers($0) }
        case "mask_pixel_score_thresh": .number(maskPixelScoreThreshold)
        case "max_polygon_points": .integer(maxPolygonPoints)
        default: nil
        }
    }

    /// The option block of the model's family, as the engine takes it: a JSON object of the keys the engine's
    /// catalogue lists for this model (its meta-architecture's), and no other family's. A name the catalogue
    /// lacks sends "{}" and the engine names the allowed models.
    public func familyOptionBlock() throws(EngineError) -> String {
        let keys = EngineRuntime.optionKeys(model: name) ?? []
        let block = Dictionary(uniqueKeysWithValues: keys.compactMap { key in optionValue(key).map { (key, $0) } })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // A non-finite threshold goes as a string, which the engine refuses naming the key.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return String(decoding: try encoder.encode(block), as: UTF8.self)
        } catch {
            throw EngineError(code: .invalidArgument, operation: "model \(name)'s options",
                              message: "model \(name): its options cannot be written as JSON: \(error)")
        }
    }
}

/// A model held by the engine. Owns its handle; freed when the last reference goes.
public final class Model {
    let handle: OpaquePointer
    public let options: ModelOptions
    public var name: String { options.name }
    public var numClasses: Int { options.numClasses }
    public var device: String { options.device }
    public var task: EngineTask { options.task }

    /// Builds the model; the engine receives the options of its family alone (`familyOptionBlock`).
    public convenience init(_ options: ModelOptions) throws(EngineError) {
        try self.init(options, optionBlock: options.familyOptionBlock())
    }

    /// Builds the model from an option block stated as the engine names its family's options (a JSON object;
    /// "{}": the family's defaults), in place of the family fields of `options`. The engine validates it.
    public init(_ options: ModelOptions, optionBlock block: String) throws(EngineError) {
        try EngineRuntime.checkABI()
        var out: OpaquePointer?
        let status = options.name.withCString { cName in
            options.device.withCString { cDevice in
                var spec = spool_model_spec(name: cName, task: options.task.rawValue,
                                            num_classes: Int32(clamping: options.numClasses), device: cDevice)
                return spool_model_create_v2(&spec, block, &out)
            }
        }
        try check(status, "spool_model_create_v2(\(options.name))")
        guard let out else { throw EngineError(status: SPOOL_ERR_INTERNAL, operation: "spool_model_create_v2") }
        self.handle = out
        self.options = options
    }

    /// A classifier: `multiclass` (or `multilabel`) with `numClasses` outputs on `device`.
    public convenience init(name: String, numClasses: Int, imageSize: Int = 224, device: String = "cpu",
                            task: EngineTask = .multiclass) throws(EngineError) {
        var options = ModelOptions(name: name, task: task, numClasses: numClasses)
        options.imageSize = imageSize
        options.device = device
        try self.init(options)
    }

    deinit { spool_model_free(handle) }

    public struct LoadReport: Sendable, Equatable {
        public let loaded: Int
        public let skippedHead: Int
        public let unexpected: Int
        public let missing: Int
        /// A classifier's file filled a detector's backbone only.
        public let backboneOnly: Bool
    }

    /// Loads reference weights (safetensors, or PyTorch's files as torch.save writes them). With
    /// `replaceHead`, the heads keep their fresh initialisation, for a job's own classes.
    @discardableResult
    public func load(weights path: String, replaceHead: Bool) throws(EngineError) -> LoadReport {
        var report = spool_load_report()
        try check(spool_model_load(handle, path, replaceHead ? 1 : 0, &report), "spool_model_load")
        return LoadReport(loaded: Int(report.loaded), skippedHead: Int(report.skipped_head),
                          unexpected: Int(report.unexpected), missing: Int(report.missing),
                          backboneOnly: report.backbone_only != 0)
    }

    /// Saves every parameter and buffer as safetensors, under the reference's names.
    public func save(to path: String) throws(EngineError) {
        try check(spool_model_save(handle, path), "spool_model_save")
    }

    /// Freezes the first `groups` layer groups (`layers_to_freeze`).
    public func freeze(groups: Int) throws(EngineError) {
        try check(spool_model_freeze(handle, Int32(clamping: groups)), "spool_model_freeze")
    }

    public var layerGroupCount: Int {
        get throws(EngineError) {
            var n: Int32 = 0
            try check(spool_model_num_layer_groups(handle, &n), "spool_model_num_layer_groups")
            return Int(n)
        }
    }

    public func parameterCount() throws(EngineError) -> (total: Int, trainable: Int) {
        var total: Int64 = 0, trainable: Int64 = 0
        try check(spool_model_num_parameters(handle, &total, &trainable), "spool_model_num_parameters")
        return (Int(total), Int(trainable))
    }

    /// A classifier's logits (batch x numClasses, row-major) for a normalised batch x 3 x height x width input.
    public func forward(_ input: [Float], batch: Int, height: Int, width: Int) throws(EngineError) -> [Float] {
        guard input.count == batch * 3 * height * width else {
            throw EngineError(status: SPOOL_ERR_INVALID_ARGUMENT, operation: "forward: input size \(input.count) is not \(batch)x3x\(height)x\(width)")
        }
        var logits = [Float](repeating: 0, count: batch * numClasses)
        let shape: [Int64] = [Int64(batch), 3, Int64(height), Int64(width)]
        let capacity = Int64(logits.count)
        let status = input.withUnsafeBufferPointer { inBuf in
            shape.withUnsafeBufferPointer { shapeBuf in
                logits.withUnsafeMutableBufferPointer { outBuf in
                    spool_model_forward(handle, inBuf.baseAddress, shapeBuf.baseAddress, outBuf.baseAddress, capacity)
                }
            }
        }
        try check(status, "spool_model_forward")
        return logits
    }

    /// The raw evaluation output of a prepared batch: classifiers' logits, YOLOv5's decoded head (N x anchors x
    /// (5 + classes)) for sides that are multiples of 32.
    public func forwardRaw(_ input: [Float], batch: Int, height: Int, width: Int) throws(EngineError) -> [Float] {
        guard input.count == batch * 3 * height * width else {
            throw EngineError(status: SPOOL_ERR_INVALID_ARGUMENT, operation: "forwardRaw: input size \(input.count) is not \(batch)x3x\(height)x\(width)")
        }
        // YOLOv5's three levels hold 3 anchors per cell at strides 8, 16, 32: at most this many rows.
        let cells = (height / 8) * (width / 8) + (height / 16) * (width / 16) + (height / 32) * (width / 32)
        var out = [Float](repeating: 0, count: batch * max(numClasses, 3 * cells * (5 + numClasses)))
        let shape: [Int64] = [Int64(batch), 3, Int64(height), Int64(width)]
        let capacity = Int64(out.count)
        var written: Int64 = 0
        let status = input.withUnsafeBufferPointer { inBuf in
            shape.withUnsafeBufferPointer { shapeBuf in
                out.withUnsafeMutableBufferPointer { outBuf in
                    spool_model_forward_v2(handle, inBuf.baseAddress, shapeBuf.baseAddress, outBuf.baseAddress, capacity, &written)
                }
            }
        }
        try check(status, "spool_model_forward_v2")
        return Array(out.prefix(Int(written)))
    }
}

extension Model {
    public struct GradientReport: Sendable, Equatable {
        public let parameters: Int
        /// Names of trainable parameters that received no gradient, or a non-finite one.
        public let missing: [String]
        public let nonFinite: Int
        public let loss: Double
        public let outputsFinite: Bool
    }

    /// One training-mode forward and backward on the loader's next batch: which parameters get a gradient.
    public func gradientCheck(_ loader: ImageLoader) throws(EngineError) -> GradientReport {
        var report = spool_gradient_report()
        var names: UnsafeMutablePointer<CChar>?
        try check(spool_model_gradient_check(handle, loader.handle, &report, &names), "spool_model_gradient_check")
        return GradientReport(parameters: Int(report.parameters),
                              missing: takeString(names).split(separator: "\n").map(String.init),
                              nonFinite: Int(report.non_finite), loss: report.loss,
                              outputsFinite: report.outputs_finite != 0)
    }
}
