import CSpoolEngine

/// A classifier held by the engine. Owns its handle; freed when the last reference goes.
public final class Model {
    let handle: OpaquePointer
    public let name: String
    public let numClasses: Int
    public let device: String

    /// Builds `name` with a head of `numClasses` outputs on `device` ("cpu", "cuda", "cuda:1").
    /// `imageSize` sizes ViT position embeddings (224 unless a test uses small images).
    public init(name: String, numClasses: Int, imageSize: Int = 224, device: String = "cpu") throws(EngineError) {
        var params = spool_model_default_params()
        var out: OpaquePointer?
        let status = name.withCString { cName in
            device.withCString { cDevice in
                params.name = cName
                params.device = cDevice
                params.num_classes = Int32(clamping: numClasses)
                params.image_size = Int32(clamping: imageSize)
                return spool_model_create(&params, &out)
            }
        }
        try check(status, "spool_model_create(\(name))")
        guard let out else { throw EngineError(status: SPOOL_ERR_INTERNAL, operation: "spool_model_create") }
        self.handle = out
        self.name = name
        self.numClasses = numClasses
        self.device = device
    }

    deinit { spool_model_free(handle) }

    public struct LoadReport: Sendable, Equatable {
        public let loaded: Int
        public let skippedHead: Int
        public let unexpected: Int
    }

    /// Loads reference weights (safetensors, or a `torch.save`d plain dict). With `replaceHead`, the
    /// classifier head keeps its fresh initialisation, for a job's own classes.
    @discardableResult
    public func load(weights path: String, replaceHead: Bool) throws(EngineError) -> LoadReport {
        var report = spool_load_report()
        try check(spool_model_load(handle, path, replaceHead ? 1 : 0, &report), "spool_model_load")
        return LoadReport(loaded: Int(report.loaded), skippedHead: Int(report.skipped_head),
                          unexpected: Int(report.unexpected))
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

    /// Logits (batch x numClasses, row-major) for a normalised batch x 3 x height x width input.
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
}

extension Model {
    public struct GradientReport: Sendable, Equatable {
        public let parameters: Int
        /// Names of trainable parameters that received no (or an all-zero) gradient, or a non-finite one.
        public let missing: [String]
        public let nonFinite: Int
        public let loss: Double
        public let outputsFinite: Bool
    }

    /// One training-mode forward and backward: which parameters get a gradient (a self-check).
    public func gradientCheck(_ input: [Float], batch: Int, height: Int, width: Int) throws(EngineError) -> GradientReport {
        var report = spool_gradient_report()
        var names: UnsafeMutablePointer<CChar>?
        let shape: [Int64] = [Int64(batch), 3, Int64(height), Int64(width)]
        let status = input.withUnsafeBufferPointer { inBuf in
            shape.withUnsafeBufferPointer { spool_model_gradient_check(handle, inBuf.baseAddress, $0.baseAddress, &report, &names) }
        }
        try check(status, "spool_model_gradient_check")
        return GradientReport(parameters: Int(report.parameters),
                              missing: takeString(names).split(separator: "\n").map(String.init),
                              nonFinite: Int(report.non_finite), loss: report.loss,
                              outputsFinite: report.outputs_finite != 0)
    }
}
