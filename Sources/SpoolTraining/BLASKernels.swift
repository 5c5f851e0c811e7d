import Foundation

/// The BLAS that does the work, as logs name it. libtorch reports the BLAS it was built against (`generic` for
/// Debian's, which then calls whatever libblas.so.3 is: usually OpenBLAS, with kernels OpenBLAS picks for the CPU
/// when it loads, or that `OPENBLAS_CORETYPE` forces).
public enum BLASKernels {
    /// OpenBLAS's name for the kernels in use ("Haswell", "SkylakeX", "Cooperlake", "Prescott"), nil without OpenBLAS.
    public static func openBLASCore() -> String? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openblas_get_corename") else { return nil }
        typealias CoreName = @convention(c) () -> UnsafePointer<CChar>?
        guard let name = unsafeBitCast(symbol, to: CoreName.self)() else { return nil }
        return String(cString: name)
    }

    /// "OpenBLAS, SkylakeX kernels", with "(OPENBLAS_CORETYPE)" when that chose them; libtorch's own word
    /// (`build`) without OpenBLAS.
    public static func describe(build: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard let core = openBLASCore() else { return "\(build) (as libtorch was built; not OpenBLAS)" }
        let forced = environment["OPENBLAS_CORETYPE"].map { $0.isEmpty ? "" : " (OPENBLAS_CORETYPE=\($0))" } ?? ""
        return "OpenBLAS, \(core) kernels\(forced)"
    }
}
