/// Exit codes of `spool-trainer` that the daemon's trial supervisor reads.
public enum TrialExitCode {
    public static let failure: Int32 = 1
    /// libtorch could not allocate (host or device): the trial is OUT_OF_MEMORY, not FAILED.
    public static let outOfMemory: Int32 = 3
    /// Asked to stop (SIGTERM: Slurm's warning before its time limit, a preemption, a cancel), the trainer saved a
    /// checkpoint of where it was and stopped; its best model so far is in place.
    public static let stopped: Int32 = 4
}

/// The environment every engine process starts with (spool-trainer re-executes itself to get it).
public enum TrainerEnvironment {
    /// Keeps glibc from returning libtorch's large tensor buffers to the kernel after every step and
    /// faulting them in again: measured 1.3-1.7x faster training (docs/benchmarks.md).
    public static let mallocTunables = "glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295"

    /// glog's threshold: errors only. libtorch's performance hints ("grad and param do not obey the gradient
    /// layout contract", "Logging before InitGoogleLogging") are for its developers, not a user's terminal.
    public static let glogLevel = "2"

    /// OpenBLAS single-threaded (libtorch parallelises around BLAS calls), the malloc tunables and glog's
    /// threshold, unless set.
    public static func apply(to base: [String: String]) -> [String: String] {
        var env = base
        if env["GLOG_minloglevel"] == nil { env["GLOG_minloglevel"] = glogLevel }
        if env["OPENBLAS_NUM_THREADS"] == nil { env["OPENBLAS_NUM_THREADS"] = "1" }
        if env["GLIBC_TUNABLES"] == nil { env["GLIBC_TUNABLES"] = mallocTunables }
        return env
    }
}
