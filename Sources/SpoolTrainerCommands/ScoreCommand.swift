import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolEngine
import SpoolTraining

/// `spool-trainer score`: batch scoring in chunks, streamed to a JSONL file or printed; one bad image is an
/// error line, not the end of the run.
struct ScoreCommand: ParsableCommand {
    static let configuration = ScoreArguments.configuration
    @OptionGroup var arguments: ScoreArguments

    /// One image's result: Azure's scoring object, or the error that kept it from being scored.
    typealias Line = ScoringResponse

    func run() throws {
        if let jsonl = arguments.jsonl { try OutputPath.claimFile(jsonl, force: arguments.force) }
        let paths: [String]
        do {
            paths = try ScoringInputs.expand(arguments.inputs)
        } catch {
            throw CommandError(error.description)
        }
        guard !paths.isEmpty else { throw CommandError("the inputs name no image (folders are searched for \(ScoringInputs.imageExtensions.sorted().joined(separator: ", ")))") }
        try EngineRuntime.setThreads(arguments.threads)
        let predictor = try arguments.thresholds.predictor(modelDirectory: URL(fileURLWithPath: arguments.model),
                                                           device: arguments.device, batchSize: arguments.batchSize)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        var sink: FileHandle?
        if let jsonl = arguments.jsonl {
            guard FileManager.default.createFile(atPath: jsonl, contents: nil), let handle = FileHandle(forWritingAtPath: jsonl) else {
                throw CommandError("--jsonl \(jsonl): cannot create the file")
            }
            sink = handle
        }
        defer { try? sink?.close() }
        var collected: [Line] = []
        var errors = 0
        let started = Date()
        let chunk = max(arguments.batchSize * 4, 64)
        for start in stride(from: 0, to: paths.count, by: chunk) {
            let part = Array(paths[start..<min(start + chunk, paths.count)])
            let lines = score(part, predictor)
            errors += lines.filter { $0.error != nil }.count
            for line in lines {
                if let sink {
                    sink.write(try encoder.encode(line) + Data("\n".utf8))
                } else if arguments.json {
                    collected.append(line)
                } else if let error = line.error {
                    print("\(line.filename): error: \(error)")
                } else {
                    print(PredictCommand.text(line))
                }
            }
            if !arguments.quiet {
                let done = start + part.count
                let rate = Double(done) / max(Date().timeIntervalSince(started), 1e-9)
                printError("scored \(done - errors) of \(paths.count) images" + (errors > 0 ? " (\(errors) could not be read)" : "")
                    + ", \(String(format: "%.1f", rate)) img/s")
            }
        }
        if arguments.json {
            encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes, .sortedKeys]
            print(String(decoding: try encoder.encode(collected), as: UTF8.self))
        }
        let seconds = Date().timeIntervalSince(started)
        if !arguments.quiet {
            printError("done: \(paths.count - errors) images scored in \(String(format: "%.2f", seconds)) s "
                + "(\(String(format: "%.1f", Double(paths.count) / max(seconds, 1e-9))) img/s)"
                + (errors > 0 ? "; \(errors) could not be read" : "") + (arguments.jsonl.map { "; wrote \($0)" } ?? ""))
        }
        if errors == paths.count { throw ExitCode(1) }
    }

    /// Scores a chunk at once; when that fails (an undecodable image), image by image, so only the bad
    /// image is lost.
    func score(_ paths: [String], _ predictor: Predictor) -> [Line] {
        Self.score(paths, predictor, top: arguments.top)
    }

    /// The same for any command (`predict` too): each image's result, or its error naming no path but its own.
    static func score(_ paths: [String], _ predictor: Predictor, top: Int?) -> [Line] {
        if let predictions = try? predictor.predict(paths: paths, top: top) {
            return predictions
        }
        return paths.map { path in
            do {
                return try predictor.predict(paths: [path], top: top)[0]
            } catch {
                let text = ErrorText.describe(error)
                return Line(filename: path, error: text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text)
            }
        }
    }
}
