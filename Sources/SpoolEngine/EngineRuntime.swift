import CSpoolEngine

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
    }

    public static func info() throws(EngineError) -> Info {
        var raw = spool_runtime_info()
        try check(spool_runtime_get_info(&raw), "spool_runtime_get_info")
        func text<T>(_ tuple: T) -> String {
            withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return Info(torchVersion: text(raw.torch_version), abiVersion: Int(raw.abi_version),
                    intraOpThreads: Int(raw.intra_op_threads), cudaAvailable: raw.cuda_available != 0,
                    cudaDeviceCount: Int(raw.cuda_device_count), blas: text(raw.blas))
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

    /// The model names the engine can build.
    public static func modelNames() throws(EngineError) -> [String] {
        var out: UnsafeMutablePointer<CChar>?
        try check(spool_model_names(&out), "spool_model_names")
        return takeString(out).split(separator: "\n").map(String.init)
    }
}
