import CSpoolEngine

/// The processes of one data-parallel run (libtorch's c10d: gloo on the CPU, NCCL on CUDA). Rank 0 serves the
/// rendezvous at `host:port`; joining blocks until every rank has joined or `timeoutSeconds` pass, and a
/// collective whose peer died or waits longer than that fails instead of hanging.
public final class ProcessGroup {
    let handle: OpaquePointer
    public let rank: Int
    public let size: Int

    public struct Options: Sendable, Equatable {
        public var rank: Int
        public var worldSize: Int
        public var host: String
        public var port: Int
        public var timeoutSeconds: Double = 1800
        public var device = "cpu"

        public init(rank: Int, worldSize: Int, host: String, port: Int) {
            self.rank = rank
            self.worldSize = worldSize
            self.host = host
            self.port = port
        }
    }

    public init(_ options: Options) throws(EngineError) {
        var out: OpaquePointer?
        let status = options.host.withCString { host in
            options.device.withCString { device in
                var p = spool_process_group_params(rank: Int32(clamping: options.rank), world_size: Int32(clamping: options.worldSize),
                                                   host: host, port: Int32(clamping: options.port),
                                                   timeout_seconds: options.timeoutSeconds, device: device)
                return spool_process_group_create(&p, &out)
            }
        }
        try check(status, "spool_process_group_create")
        guard let out else { throw EngineError(status: SPOOL_ERR_INTERNAL, operation: "spool_process_group_create") }
        handle = out
        rank = options.rank
        size = options.worldSize
    }

    deinit { spool_process_group_free(handle) }

    /// "gloo" or "nccl".
    public var backend: String { String(cString: spool_process_group_backend(handle)) }

    /// Whether this libtorch can run data-parallel training on CUDA.
    public static var hasNCCL: Bool { spool_process_group_has_nccl() != 0 }

    /// The element-wise sums over the ranks.
    public func allReduceSum(_ values: [Double]) throws(EngineError) -> [Double] {
        var copy = values
        let status = copy.withUnsafeMutableBufferPointer { spool_process_group_all_reduce(handle, $0.baseAddress, Int64($0.count)) }
        try check(status, "spool_process_group_all_reduce")
        return copy
    }

    /// Rank `root`'s values, on every rank (the others pass as many placeholders).
    public func broadcast(_ values: [Double], from root: Int = 0) throws(EngineError) -> [Double] {
        var copy = values
        let status = copy.withUnsafeMutableBufferPointer {
            spool_process_group_broadcast(handle, $0.baseAddress, Int64($0.count), Int32(clamping: root))
        }
        try check(status, "spool_process_group_broadcast")
        return copy
    }

    public func barrier() throws(EngineError) {
        try check(spool_process_group_barrier(handle), "spool_process_group_barrier")
    }
}
