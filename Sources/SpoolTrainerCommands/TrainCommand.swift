import ArgumentParser
import CSpoolSystem
import Foundation
import Logging
import SpoolArguments
import SpoolCore
import SpoolEngine
import SpoolTraining

struct TrainCommand: ParsableCommand {
    static let configuration = TrainArguments.configuration
    @OptionGroup var arguments: TrainArguments

    func run() throws {
        try Self.checkDevice(arguments.device)  // before the output folder is claimed: a refused run leaves nothing
        var bundleURL = URL(fileURLWithPath: arguments.bundle)
        let out = URL(fileURLWithPath: arguments.outputFolder)
        let fm = FileManager.default
        // One process of a data-parallel run (started by the launcher below, or by srun): its launcher claimed
        // the output folder and made any bundle; only rank 0 writes.
        let worker = try DataParallelLauncher.worker()
        if let worker {
            _ = spool_set_parent_death_signal(SIGKILL)  // never outlives its launcher
            if BundleMaker.isFolderPerClass(bundleURL) { bundleURL = out.appendingPathComponent("bundle") }
            if worker.0.rank == 0 { try fm.createDirectory(at: out, withIntermediateDirectories: true) }
        } else {
            // A run continued in its folder keeps it; one started afresh claims it (--resume-or-start: only when it
            // holds nothing to resume, so a requeued trial's first run before any epoch ended is replaced).
            let continues = arguments.resume != nil
                || (arguments.resumeOrStart && !ResumeCheckpoints(runFolder: out).isEmpty)
            if arguments.nodeRank == 0, !continues {
                try OutputPath.claimFolder(arguments.outputFolder, force: arguments.force || arguments.resumeOrStart)
            }
            if BundleMaker.isFolderPerClass(bundleURL), continues, FileManager.default.fileExists(atPath: out.appendingPathComponent("bundle").path) {
                bundleURL = out.appendingPathComponent("bundle")
            } else if BundleMaker.isFolderPerClass(bundleURL) {
                bundleURL = try Self.makeBundle(from: bundleURL, shown: arguments.bundle, out: out, quiet: arguments.quiet)
            }
            let world = arguments.nproc * arguments.nnodes
            if world > 1 {
                let rendezvous = try arguments.rendezvous ?? "127.0.0.1:\(DataParallelLauncher.freePort())"
                _ = try DataParallelLauncher.parseRendezvous(rendezvous, option: "--rendezvous")
                let launcher = DataParallelLauncher(processes: arguments.nproc, firstRank: arguments.nodeRank * arguments.nproc,
                                                    worldSize: world, rendezvous: rendezvous,
                                                    arguments: Array(CommandLine.arguments.dropFirst()))
                let status = try launcher.run()
                if status != 0 { throw ExitCode(status) }
                return
            }
        }
        let rank = worker?.0.rank ?? 0
        let bundle: JobBundle
        let parameters: TrainingParameters
        do {
            bundle = try JobBundle.load(directory: bundleURL)
            let overrides = try TrainArguments.overrideValues(arguments.overrides)
            parameters = try bundle.settings.trainingParameters(overrides: overrides)
        } catch let error as SettingsError {
            throw CommandError("the bundle's settings have problems:\n\(error.description)")
        } catch let error as DatasetError {
            throw CommandError("the bundle's data has problems:\n\(error)")
        } catch let error as TrainingError {
            throw CommandError(error.description)
        }
        let seed = arguments.seed ?? parameters.seed.map { UInt64(truncatingIfNeeded: $0) } ?? 0
        let data = try bundle.trainingData(splitRatio: parameters.splitRatio, seed: seed)
        var logger: Logger
        if rank == 0 {
            try fm.createDirectory(at: out, withIntermediateDirectories: true)
            logger = RunLogHandler.logger(label: "spool.train", file: out.appendingPathComponent("train.log"),
                                          mirrorToStderr: !arguments.quiet)
        } else {  // rank 0 logs the run; the others only their warnings and errors
            logger = RunLogHandler.logger(label: "spool.train", file: nil, mirrorToStderr: true)
            logger.logLevel = .warning
            logger[metadataKey: "rank"] = "\(rank)"
        }
        var options = RunOptions(outputDirectory: out)
        options.device = arguments.device
        if let (dp, localRank) = worker {
            options.dataParallel = dp
            if arguments.device == "cuda" { options.device = "cuda:\(localRank)" }  // one GPU per process
        }
        options.seed = seed
        options.resume = arguments.resume != nil ? .required : arguments.resumeOrStart ? .ifAny : .never
        options.threads = arguments.threads
        options.baseDirectory = bundleURL
        options.weightsSearchPaths = WeightsFolder.searchPath(arguments.weightsDirectories).map(\.url)
        // SIGTERM (Slurm's warning before its time limit, a preemption, a cancel): finish the step, save a
        // checkpoint, stop with TrialExitCode.stopped. Past its grace the supervisor sends SIGKILL.
        // Ctrl-C (SIGINT) the same, said on the terminal; a second Ctrl-C stops at once.
        let stopFlag = StopFlag()
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let terminate = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        terminate.setEventHandler { stopFlag.set() }
        terminate.resume()
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler {
            if stopFlag.isSet { _exit(130) }
            stopFlag.set()
            printError("stopping at the end of this step, keeping a checkpoint (Ctrl-C again stops at once, losing the epoch under way)")
        }
        interrupt.resume()
        defer {
            terminate.cancel()
            interrupt.cancel()
        }
        options.stopRequested = { stopFlag.isSet }
        let quiet = arguments.quiet || rank != 0, json = arguments.progressJSON && rank == 0
        let run = TrainingRun(task: bundle.settings.task, parameters: parameters, data: data, options: options,
                              logger: logger, progress: { p in
                                  if json { ProgressOutput.emit(p) }
                                  if !quiet, p.kind == .step { printError(p.line) }
                              })
        let outcome: TrainingResult?
        do {
            outcome = try run.run()
        } catch let stopped as TrainingStopped {
            if rank == 0 { printError(Self.stoppedText(stopped, bundle: arguments.bundle, out: out)) }
            throw ExitCode(TrialExitCode.stopped)
        } catch let error as EngineError where error.code == .outOfMemory {
            // A distinct exit code, so the daemon can mark the trial OUT_OF_MEMORY.
            printError("error: out of memory: \(error.message); lower training_batch_size (now \(parameters.trainingBatchSize))")
            throw ExitCode(TrialExitCode.outOfMemory)
        } catch let error as EngineError where worker != nil {
            throw CommandError("data-parallel process \(rank) of \(worker!.0.worldSize): \(error.message) (a process stops when another of its run has died or its collectives time out)")
        }
        guard let result = outcome else { return }  // a data-parallel process other than rank 0
        // The report says it too (the same judgement); a terminal user may never open it.
        if let verdict = result.noBetterThanChance {
            logger.warning("\(verdict.text)")
            if arguments.quiet { printError("warning: \(verdict.text)") }
        }
        if json { return }  // the finished event carried the outcome
        print("\(result.primaryMetric.name) \(String(format: "%.4f", result.primaryMetric.value)) at epoch \(result.bestEpoch) of \(result.epochsRun)\(result.stoppedEarly ? " (stopped early)" : ""); model in \(out.appendingPathComponent("model").path), metrics in \(out.appendingPathComponent("metrics.json").path)")
    }

    /// `--device cuda[:N]` on a libtorch that sees no such device: refused, saying how to get one.
    static func checkDevice(_ device: String) throws {
        guard device.hasPrefix("cuda") else { return }
        let info = try EngineRuntime.info()
        guard info.cudaAvailable, info.cudaDeviceCount > 0 else {
            throw CommandError("--device \(device): this spool-trainer's libtorch \(info.torchVersion) sees no CUDA device, and nothing was written. "
                + "Either it was built without CUDA (Debian's libtorch is CPU-only): build Spool against a CUDA libtorch, "
                + "`SPOOL_LIBTORCH=/path/to/libtorch swift build -c release` (a folder with include/ and lib/; a pip torch's "
                + "torch/ folder works; README, GPUs); or no GPU is visible here (its driver, CUDA_VISIBLE_DEVICES). "
                + "`spoolctl doctor` says what it sees. Or train with --device cpu.")
        }
        if device.hasPrefix("cuda:"), let index = Int(device.dropFirst(5)), index >= info.cudaDeviceCount {
            throw CommandError("--device \(device): this machine shows \(info.cudaDeviceCount) CUDA device(s), cuda:0 to cuda:\(info.cudaDeviceCount - 1); nothing was written")
        }
    }

    /// What a stopped run leaves and how to go on: the best model so far and where, and the command that resumes.
    static func stoppedText(_ stopped: TrainingStopped, bundle: String, out: URL) -> String {
        var lines = ["stopped at epoch \(stopped.epoch), step \(stopped.step), as asked (Ctrl-C or SIGTERM)."]
        if let best = stopped.bestEpoch {
            lines.append("The best model so far (epoch \(best)) is kept in \(out.appendingPathComponent("model").path), "
                + "its metrics in \(out.appendingPathComponent("metrics.json").path).")
        } else {
            lines.append("No epoch had been evaluated yet: there is no model in \(out.path) yet.")
        }
        if stopped.checkpoint != nil {
            lines.append("To go on after epoch \(stopped.resumesAfter): spoolctl train \(bundle) --resume \(out.path)")
        } else {
            lines.append("No epoch had ended, so there is nothing to resume; to start again: spoolctl train \(bundle) --out \(out.path) --force")
        }
        return lines.joined(separator: "\n")
    }

    /// A folder per class becomes a bundle in OUT/bundle/ (images hard-linked), trained with the defaults.
    static func makeBundle(from folder: URL, shown: String, out: URL, quiet: Bool) throws -> URL {
        let bundle = out.appendingPathComponent("bundle")
        let outcome: BundleMaker.Outcome
        do {
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            outcome = try BundleMaker(source: folder, sourceName: shown, kind: .folders, link: true)
                .make(into: bundle, outName: bundle.path)
        } catch let error as BundleMakerError {
            throw CommandError(error.description)
        }
        let note = outcome.copiedAcrossFilesystems > 0 ? " (\(outcome.copiedAcrossFilesystems) copied: another filesystem)" : ""
        if !quiet {
            for warning in outcome.dataset.warnings { printError("warning: \(warning)") }
        }
        printError("\(shown): taken as a folder per class: \(outcome.dataset.classNames.count) classes, "
            + "\(outcome.imageCount) images; bundle made in \(bundle.path) (images linked\(note))")
        return bundle
    }
}

/// Set once, from a signal handler's queue; read after every training step.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
