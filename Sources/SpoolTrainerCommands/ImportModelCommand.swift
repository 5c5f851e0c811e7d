import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolEngine
import SpoolTraining

struct ImportModelCommand: ParsableCommand {
    static let configuration = ImportModelArguments.configuration
    @OptionGroup var arguments: ImportModelArguments

    func run() throws {
        guard let name = ModelName(settingsValue: arguments.model) else {
            throw CommandError("--model \(arguments.model): unknown model; allowed: \(ModelName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let text = try? String(contentsOfFile: arguments.labels, encoding: .utf8) else {
            throw CommandError("--labels \(arguments.labels): cannot read the file")
        }
        let labels = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .reversed().drop(while: \.isEmpty).reversed().map { $0 }
        if let blank = labels.firstIndex(of: "") {
            throw CommandError("\(arguments.labels):\(blank + 1): empty label; one label a line, in class-index order")
        }
        guard !labels.isEmpty else { throw CommandError("\(arguments.labels): no labels") }
        try EngineRuntime.setThreads(nil)
        let model = try Model(name: name.rawValue, numClasses: labels.count, imageSize: arguments.cropSize)
        do {
            try model.load(weights: arguments.weights, replaceHead: false)
        } catch {
            // (A `catch let ... where` on a typed throw crashes Swift 6.3's ownership checker: test inside.)
            guard error.code == .weights else { throw error }
            throw CommandError("\(error.message)\nThe head must have \(labels.count) outputs (one per line of \(arguments.labels)).")
        }
        let out = URL(fileURLWithPath: arguments.out)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try model.save(to: out.appendingPathComponent("weights.safetensors").path)
        let manifest = ModelManifest(
            task: arguments.multilabel ? .imageClassificationMultilabel : .imageClassification,
            modelName: name, classes: labels,
            preprocessing: .init(validResizeSize: arguments.resizeSize, validCropSize: arguments.cropSize,
                                 mean: try ImportModelArguments.triple(arguments.mean, name: "mean"),
                                 std: try ImportModelArguments.triple(arguments.std, name: "std")),
            imageSize: arguments.cropSize, source: "spoolctl import-model \(arguments.weights)")
        try manifest.write(to: out)
        try ScoringScript.write(into: out)
        print("imported \(name.rawValue) with \(labels.count) classes into \(out.path)")
    }
}
