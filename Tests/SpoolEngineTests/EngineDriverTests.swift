import Foundation
import Testing

/// `spool-engine-driver`, the engine's check through its C ABI alone (what a GPU machine without Swift runs):
/// it trains, and trains data-parallel in two forked processes over gloo.
@Suite(.serialized)
struct EngineDriverTests {
    static let driver = TestSupport.repository.appendingPathComponent(".build/debug/spool-engine-driver")

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = driver
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(arguments: [1, 2]) func theDriverTrains(processes: Int) throws {
        let result = try Self.run(["--steps", "24", "--size", "48", "--nproc", "\(processes)"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("OK"), "\(result.output)")
        if processes == 2 {
            #expect(result.output.contains("process group: gloo, 2 processes"), "\(result.output)")
            #expect(result.output.contains("(16 images)"), "each step's loss is the whole batch's: \(result.output)")
        }
        // With CUDA asked and fewer GPUs than processes (none here), it says so and runs on the CPU.
        if processes == 2 {
            let cuda = try Self.run(["--steps", "4", "--size", "32", "--nproc", "2", "--device", "cuda"])
            #expect(cuda.output.contains("NCCL compiled: no; 2 processes need 2 GPUs, this machine has 0"), "\(cuda.output)")
            #expect(cuda.output.contains("process group: gloo"), "\(cuda.output)")
        }
    }
}
