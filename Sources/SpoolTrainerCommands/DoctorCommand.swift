import ArgumentParser
import Foundation
import SpoolEngine

/// The engine half of `spoolctl doctor`.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Report libtorch, BLAS, threads and CUDA devices.",
        discussion: """
        `spoolctl doctor` runs this and adds what spoolctl itself links (SQLite, libarchive).

        Examples:
          spool-trainer doctor
          spool-trainer doctor --json
        """)

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try EngineRuntime.checkABI()
        try EngineRuntime.setThreads(nil)
        let info = try EngineRuntime.info()
        let report: [String: Any] = [
            "libtorch": info.torchVersion,
            "engine_abi": info.abiVersion,
            "threads": info.intraOpThreads,
            "cuda_devices": info.cudaDeviceCount,
            "blas_build": info.blas,
            "blas_library": Self.loadedBLAS(),
            "blas_kernels": BLASCore.current() ?? "not OpenBLAS",
            "openblas_num_threads": ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset",
            "detection_kernels": info.detectionKernels,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for key in report.keys.sorted() { print("\(key): \(report[key]!)") }
        }
    }

    /// The BLAS library this process really loaded (Debian picks it through update-alternatives).
    static func loadedBLAS() -> String {
        // /proc files report size 0, so read them as a stream.
        guard let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() else { return "unknown" }
        var found: [String] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let path = line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init),
                  path.hasPrefix("/"), path.contains("blas") else { continue }
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            if !found.contains(resolved) { found.append(resolved) }
        }
        // OpenBLAS first: it is what does the work when present.
        return found.sorted { $0.contains("openblas") && !$1.contains("openblas") }.first ?? "none loaded"
    }
}
