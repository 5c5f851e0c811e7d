import Foundation
import SpoolCore
import Testing

/// The local executor on a machine whose GPUs outnumber the job's max_concurrent_trials: a trial takes the idle
/// GPUs and trains data-parallel over them (`--nproc`, one process per GPU).
@Suite(.serialized)
struct DataParallelTrialTests {
    /// Two "GPUs" (CUDA_VISIBLE_DEVICES=0,1) and one trial at a time: the trial sees both and runs two processes.
    /// This machine has no GPU, so a stand-in trainer records what the daemon asked, then trains as asked on the
    /// CPU (the same two processes, over gloo).
    @Test(.timeLimit(.minutes(5))) func oneTrialTakesTheIdleGPUsAndTrainsDataParallel() throws {
        let dir = try RunnerSupport.temporaryDirectory("ddp-trial")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let record = dir.appendingPathComponent("asked.txt")
        let trainer = try TrialSupervisionTests.fakeTrainer(in: dir, behaviour: """
              echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES $*" >> "\(record.path)"
              for a do shift; [ "$a" = cuda ] && a=cpu; set -- "$@" "$a"; done
            """)
        let bundle = try RunnerSupport.bundle(in: dir, name: "ddp", epochs: 2, perClass: 8)
        #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--device", "cuda"],
                                               environment: ["SPOOL_TRAINER": trainer.path, "CUDA_VISIBLE_DEVICES": "0,1"])
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        let asked = try String(contentsOf: record, encoding: .utf8)
        #expect(asked.hasPrefix("CUDA_VISIBLE_DEVICES=0,1 train "), "\(asked)")
        #expect(asked.contains("--device cuda") && asked.contains("--nproc 2"), "\(asked)")
        let outbox = try #require(job.outbox)
        #expect(FileManager.default.fileExists(atPath: outbox + "/model/model.json"))
        let jobLog = try String(contentsOfFile: outbox + "/job.log", encoding: .utf8)
        #expect(jobLog.contains("x2 GPUs, data-parallel"), "\(jobLog)")
        let trainLog = try #require(Self.trainLogs(under: spool).first)
        #expect(trainLog.contains("data-parallel: process 0 of 2 (gloo"), "\(trainLog)")
    }

    /// Every trial's train.log under a spool.
    static func trainLogs(under spool: URL) -> [String] {
        let walker = FileManager.default.enumerator(at: spool, includingPropertiesForKeys: nil)
        var logs: [String] = []
        while let url = walker?.nextObject() as? URL {
            if url.lastPathComponent == "train.log", url.path.contains("/trials/"),
               let text = try? String(contentsOf: url, encoding: .utf8) { logs.append(text) }
        }
        return logs
    }
}
