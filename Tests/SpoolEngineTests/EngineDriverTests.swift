import Foundation
import Testing

/// `spool-engine-driver`, the engine's check through its C ABI alone (what a GPU machine without Swift runs):
/// it trains, and trains data-parallel in two forked processes over gloo.
@Suite(.serialized)
struct EngineDriverTests {
    static let driver = TestSupport.repository.appendingPathComponent(".build/debug/spool-engine-driver").path

    /// The driver's output; the test fails with it when the driver exits non-zero (a loss that did not fall, or
    /// accuracy at chance, is exit 1).
    static func run(_ arguments: [String]) throws -> String {
        try TestSupport.run(driver, arguments, environment: ["OPENBLAS_NUM_THREADS": "1"])
    }

    @Test(arguments: [1, 2]) func theDriverTrains(processes: Int) throws {
        let output = try Self.run(["--steps", "24", "--size", "48", "--nproc", "\(processes)"])
        #expect(output.contains("OK"), "\(output)")
        if processes == 2 {
            #expect(output.contains("process group: gloo, 2 processes"), "\(output)")
            #expect(output.contains("(16 images)"), "each step's loss is the whole batch's: \(output)")
            // With CUDA asked and fewer GPUs than processes (none here), it says so and runs on the CPU.
            let cuda = try Self.run(["--steps", "4", "--size", "32", "--nproc", "2", "--device", "cuda"])
            #expect(cuda.contains("NCCL compiled: no; 2 processes need 2 GPUs, this machine has 0"), "\(cuda)")
            #expect(cuda.contains("process group: gloo"), "\(cuda)")
        }
    }
}
