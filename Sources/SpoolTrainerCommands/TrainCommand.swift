import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolEngine
import SpoolTraining

struct TrainCommand: ParsableCommand {
    static let configuration = TrainArguments.configuration
    @OptionGroup var arguments: TrainArguments

    func run() throws {
        let bundleURL = URL(fileURLWithPath: arguments.bundle)
        let out = URL(fileURLWithPath: arguments.out)
        let fm = FileManager.default
        if let contents = try? fm.contentsOfDirectory(atPath: out.path), !contents.isEmpty {
            throw CommandError("--out \(out.path): the folder is not empty; choose a new folder so no earlier run is overwritten")
        }
        let bundle: JobBundle
        let parameters: TrainingParameters
        do {
            bundle = try JobBundle.load(directory: bundleURL)
            var overrides: [String: SettingValue] = [:]
            for item in arguments.overrides {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                overrides[parts[0]] = .string(parts.count > 1 ? parts[1] : "")
            }
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
        try fm.createDirectory(at: out, withIntermediateDirectories: true)

        let logger = RunLogHandler.logger(label: "spool.train", file: out.appendingPathComponent("train.log"),
                                          mirrorToStderr: !arguments.quiet)
        var options = RunOptions(outputDirectory: out)
        options.device = arguments.device
        options.seed = seed
        options.threads = arguments.threads
        options.baseDirectory = bundleURL
        options.weightsSearchPaths = WeightsFolder.searchPath(arguments.weightsDirectories).map(\.url)
        let quiet = arguments.quiet, json = arguments.progressJSON
        let run = TrainingRun(task: bundle.settings.task, parameters: parameters, data: data, options: options,
                              logger: logger, progress: { p in
                                  if json { ProgressOutput.emit(p) }
                                  if !quiet, p.kind == .step { printError(p.line) }
                              })
        let result: TrainingResult
        do {
            result = try run.run()
        } catch let error as EngineError where error.code == .outOfMemory {
            // A distinct exit code, so the daemon can mark the trial OUT_OF_MEMORY.
            printError("error: out of memory: \(error.message); lower training_batch_size (now \(parameters.trainingBatchSize))")
            throw ExitCode(TrialExitCode.outOfMemory)
        }
        if json { return }  // the finished event carried the outcome
        print("\(result.primaryMetric.name) \(String(format: "%.4f", result.primaryMetric.value)) at epoch \(result.bestEpoch) of \(result.epochsRun)\(result.stoppedEarly ? " (stopped early)" : ""); model in \(out.appendingPathComponent("model").path), metrics in \(out.appendingPathComponent("metrics.json").path)")
    }
}
