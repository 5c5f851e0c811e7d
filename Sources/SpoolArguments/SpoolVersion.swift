/// Spool's version, as both executables print it.
public enum SpoolVersion {
    public static let current = "0.1.0"
}
