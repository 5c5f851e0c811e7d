/// Exit codes of `spool-trainer` that the daemon's trial supervisor reads.
public enum TrialExitCode {
    public static let failure: Int32 = 1
    /// libtorch could not allocate (host or device): the trial is OUT_OF_MEMORY, not FAILED.
    public static let outOfMemory: Int32 = 3
}
