import Foundation
import SpoolTraining

/// The CPU kernels OpenBLAS chose. A CPU newer than the OpenBLAS it runs with (Debian 12 ships 0.3.21) is
/// not recognised, and OpenBLAS falls back to its SSE3 "Prescott" kernels: measured 3-4x slower matrix
/// products on an AVX-512 Xeon (docs/benchmarks.md). When that happens and the CPU has AVX2 and FMA,
/// `spool-trainer` runs again with `OPENBLAS_CORETYPE` naming the kernels the CPU can run.
enum BLASCore {
    /// OpenBLAS's name for the kernels in use ("Haswell", "SkylakeX", "Prescott"), nil without OpenBLAS.
    static func current() -> String? { BLASKernels.openBLASCore() }

    /// OpenBLAS's cores without AVX2: a CPU with AVX2 and FMA given one of these was not recognised.
    static let preAVX2: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "sandybridge",
                                       "barcelona", "bobcat", "bulldozer", "piledriver", "steamroller", "excavator",
                                       "opteron", "opteron_sse3", "katmai", "coppermine", "northwood", "banias"]

    /// The core type to force, given the chosen core and the CPU's flags (/proc/cpuinfo), or nil to leave it.
    static func override(current: String?, cpuFlags: Set<String>) -> String? {
        guard let current, preAVX2.contains(current.lowercased()) else { return nil }
        guard cpuFlags.isSuperset(of: ["avx2", "fma"]) else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]) { return "SkylakeX" }
        return "Haswell"
    }

    /// The flags of the first CPU in /proc/cpuinfo.
    static func cpuFlags() -> Set<String> {
        guard let data = FileHandle(forReadingAtPath: "/proc/cpuinfo")?.readDataToEndOfFile() else { return [] }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }
}
