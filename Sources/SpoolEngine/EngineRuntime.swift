import CSpoolEngine
import Foundation

/// Process-wide engine facts and settings: libtorch version, threads, BLAS, CUDA devices, seeding.
public enum EngineRuntime {
    public struct Info: Sendable, Equatable {
        public let torchVersion: String
        public let abiVersion: Int
        public let intraOpThreads: Int
        public let cudaAvailable: Bool
        public let cudaDeviceCount: Int
        /// The BLAS libtorch was built against, as it reports it.
        public let blas: String
        /// Where NMS and RoIAlign come from: "torchvision <library>" or "ATen fallback (<why>)".
        public let detectionKernels: String
    }

    /// The ABI this Swift side was written for.
    public static let expectedABIVersion = 6

    /// Checks, once, that the engine library speaks the ABI this code was written for: a mismatch (a stale
    /// library beside a newer executable) is said plainly instead of crashing in a changed struct.
    public static func checkABI() throws(EngineError) {
        let found = Int(spool_abi_version())
        guard found == expectedABIVersion else {
            throw EngineError(code: .internal, operation: "spool_abi_version",
                              message: "the engine library speaks ABI \(found), this program ABI \(expectedABIVersion): rebuild both from one checkout")
        }
    }

    public static func info() throws(EngineError) -> Info {
        var raw = spool_runtime_info()
        try check(spool_runtime_get_info(&raw), "spool_runtime_get_info")
        func text<T>(_ tuple: T) -> String {
            withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return Info(torchVersion: text(raw.torch_version), abiVersion: Int(raw.abi_version),
                    intraOpThreads: Int(raw.intra_op_threads), cudaAvailable: raw.cuda_available != 0,
                    cudaDeviceCount: Int(raw.cuda_device_count), blas: text(raw.blas),
                    detectionKernels: text(raw.kernels))
    }

    /// Sets libtorch's intra-op threads; `nil` or 0 uses every core.
    public static func setThreads(_ count: Int?) throws(EngineError) {
        try check(spool_runtime_set_threads(Int32(count ?? 0)), "spool_runtime_set_threads")
    }

    public static func seed(_ value: UInt64) throws(EngineError) {
        try check(spool_runtime_seed(value), "spool_runtime_seed")
    }

    /// libtorch's build configuration and parallel settings, as text.
    public static func configuration() throws(EngineError) -> String {
        var out: UnsafeMutablePointer<CChar>?
        try check(spool_runtime_config(&out), "spool_runtime_config")
        return takeString(out)
    }

    /// One row of the engine's model table.
    public struct CatalogEntry: Codable, Sendable, Equatable {
        public let name: String
        /// classification, object_detection or instance_segmentation.
        public let tasks: String
        public let family: String
        public let library: String
        public let architecture: String
        /// The meta-architecture whose options the model takes (SpoolCore's `ModelFamily`: classifier,
        /// two_stage_rcnn, one_stage_dense, yolo).
        public let metaArchitecture: String
        /// The family's option keys with the engine's defaults.
        public let options: [String: OptionValue]

        enum CodingKeys: String, CodingKey {
            case name, tasks, family, library, architecture, options
            case metaArchitecture = "meta_architecture"
        }
    }

    /// An option's default as the catalogue states it.
    public enum OptionValue: Codable, Sendable, Equatable {
        case null
        case bool(Bool)
        case integer(Int)
        case number(Double)
        case numbers([Double])

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let i = try? c.decode(Int.self) { self = .integer(i) }
            else if let d = try? c.decode(Double.self) { self = .number(d) }
            else { self = .numbers(try c.decode([Double].self)) }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .null: try c.encodeNil()
            case .bool(let b): try c.encode(b)
            case .integer(let i): try c.encode(i)
            case .number(let d): try c.encode(d)
            case .numbers(let a): try c.encode(a)
            }
        }
    }

    /// Each model's option keys, sorted (read once from the catalogue).
    private static let optionKeysByModel: [String: [String]] = {
        guard let entries = try? catalog() else { return [:] }
        var out: [String: [String]] = [:]
        for e in entries { out[e.name] = e.options.keys.sorted() }
        return out
    }()

    /// The option keys the engine takes for a model (its family's), or nil for a name it does not know.
    public static func optionKeys(model: String) -> [String]? { optionKeysByModel[model] }

    /// The engine's model table (its C++ registry), for the test that keeps it equal to `ModelCatalog`.
    public static func catalog() throws(EngineError) -> [CatalogEntry] {
        var out: UnsafeMutablePointer<CChar>?
        try check(spool_model_catalog(&out), "spool_model_catalog")
        let text = takeString(out)
        do {
            return try JSONDecoder().decode([CatalogEntry].self, from: Data(text.utf8))
        } catch {
            throw EngineError(code: .internal, operation: "spool_model_catalog", message: "unreadable catalogue: \(text)")
        }
    }

    /// The model names the engine can build.
    public static func modelNames() throws(EngineError) -> [String] {
        try catalog().map(\.name)
    }
}
