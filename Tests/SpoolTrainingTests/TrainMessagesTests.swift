import Foundation
import SpoolCore
import SpoolEngine
import Testing

/// What `train` says on the terminal where it used to be silent: before and after measuring the memory format,
/// a result no better than chance, and a run stopped by Ctrl-C (where its best model is, how to go on).
@Suite(.serialized)
struct TrainMessagesTests {
    /// A classifier's run on images that are all the same picture: whatever it learns, it answers every
    /// validation image alike, so its accuracy is at most the most frequent class's share, the chance level.
    @Test func saysItMeasuresTheMemoryFormatAndWarnsOfAResultNoBetterThanChance() throws {
        let dir = try TrainingSupport.temporaryDirectory("train-messages")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try TrainingSupport.shapesBundle(in: dir, perClass: 4, size: 32, parameters: [
            "model_name: resnet18", "number_of_epochs: 1", "training_batch_size: 4", "train_crop_size: 32",
            "valid_resize_size: 32", "valid_crop_size: 32", "split_ratio: 0.5"])
        let images = bundle.appendingPathComponent("images")
        let names = try FileManager.default.contentsOfDirectory(atPath: images.path).sorted()
        let first = try Data(contentsOf: images.appendingPathComponent(names[0]))
        for name in names.dropFirst() { try first.write(to: images.appendingPathComponent(name)) }
        let cache = dir.appendingPathComponent("cache")
        let environment: [String: String?] = ["SPOOL_CACHE_DIR": cache.path, "OPENBLAS_NUM_THREADS": "1"]

        let out = dir.appendingPathComponent("run")
        let run = try TrainingSupport.run(DataParallelTests.trainer, ["train", bundle.path, "--out", out.path, "--threads", "1"],
                                          environment: environment)
        try #require(run.status == 0, "\(run.stderr)")
        let lines = run.stderr.split(separator: "\n").map(String.init)
        let measuring = try #require(lines.firstIndex { $0.contains("measuring the memory format (channels_last vs contiguous) on 6 steps of the first batch") },
                                     "\(run.stderr)")
        let measured = try #require(lines.firstIndex { $0.contains("memory format: channels_last: ") || $0.contains("memory format: contiguous: ") },
                                    "\(run.stderr)")
        #expect(measuring < measured && lines[measured].contains("ms/image"), "\(lines[measured])")
        // The BLAS named is the one doing the work (OpenBLAS's kernels), not libtorch's build-time "generic".
        let blas = try #require(lines.first { $0.contains(" BLAS: ") }, "\(run.stderr)")
        #expect(blas.contains("BLAS: OpenBLAS, ") && blas.contains(" kernels") && !run.stderr.contains("BLAS generic"), "\(blas)")
        let metrics = try MetricsDocument.read(from: out.appendingPathComponent(MetricsDocument.fileName))
        let verdict = try #require(metrics.noBetterThanChance, "accuracy \(metrics.primaryMetric.value), chance \(String(describing: metrics.chanceLevel))")
        #expect(run.stderr.contains(verdict.text) && verdict.text.contains("no better than chance"), "\(run.stderr)")
        #expect(TrainingSupport.log(out).contains(verdict.text))

        // The next run of the same model on this machine reuses the measurement: nothing to announce.
        let again = try TrainingSupport.run(DataParallelTests.trainer, ["train", bundle.path, "--out", dir.appendingPathComponent("again").path,
                                                                        "--threads", "1", "--quiet"], environment: environment)
        try #require(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("measuring the memory format"), "\(again.stderr)")
        #expect(again.stderr.contains("warning: " + verdict.text), "--quiet still warns: \(again.stderr)")
    }

    static let hasCUDA = (try? EngineRuntime.info().cudaAvailable) ?? false

    /// `--device cuda` where libtorch sees no CUDA device: refused before the output folder is made (the next run
    /// needs no --force), saying how to build against a CUDA libtorch.
    @Test(.enabled(if: !hasCUDA, "this machine has CUDA")) func cudaWithoutCUDALeavesNoFolderAndSaysHowToBuild() throws {
        let dir = try TrainingSupport.temporaryDirectory("train-cuda")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try TrainingSupport.shapesBundle(in: dir, perClass: 4, size: 32, parameters: ["model_name: resnet18", "number_of_epochs: 1"])
        let out = dir.appendingPathComponent("run")
        let run = try TrainingSupport.run(DataParallelTests.trainer, ["train", bundle.path, "--out", out.path, "--device", "cuda"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("--device cuda: this spool-trainer's libtorch") && run.stderr.contains("sees no CUDA device")
                && run.stderr.contains("SPOOL_LIBTORCH=/path/to/libtorch swift build") && run.stderr.contains("--device cpu"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing was written")
    }

    /// Ctrl-C: the run stops at the end of the step with its checkpoint, and says where the best model is and
    /// the command that goes on.
    @Test func ctrlCSaysWhereTheBestModelIsAndHowToGoOn() throws {
        let dir = try TrainingSupport.temporaryDirectory("train-ctrl-c")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try DataParallelTests.bundle(in: dir, perClass: 8, epochs: 200)
        let out = dir.appendingPathComponent("run")
        let run = try BackgroundTrainer(["train", bundle.path, "--out", out.path, "--threads", "1", "--quiet"])
        defer { run.kill() }
        try run.waitForLog(out, containing: "epoch 2/200")
        kill(run.process.processIdentifier, SIGINT)
        let stderr = run.finish(within: 60)
        #expect(!run.process.isRunning && run.process.terminationStatus == 4, "\(run.process.terminationStatus): \(stderr)")
        #expect(stderr.contains("stopping at the end of this step"), "\(stderr)")
        // Where it stopped depends on when the signal came (within epoch 2, or at its end once its checkpoint was
        // written): the message names the epochs the files on disk hold.
        #expect(stderr.contains("stopped at epoch 2, step ") || stderr.contains("stopped at epoch 3, step "), "\(stderr)")
        let metrics = try DataParallelTests.metrics(out)
        let best = metrics.bestEpoch
        #expect(stderr.contains("The best model so far (epoch \(best)) is kept in \(out.appendingPathComponent("model").path)"), "\(stderr)")
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints/resume").path)
        let resumable = try #require(checkpoints.compactMap { $0.hasPrefix("epoch-") ? Int($0.dropFirst(6)) : nil }.max())
        #expect(stderr.contains("To go on after epoch \(resumable): spoolctl train \(bundle.path) --resume \(out.path)"), "\(stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("model/weights.safetensors").path))
    }
}
