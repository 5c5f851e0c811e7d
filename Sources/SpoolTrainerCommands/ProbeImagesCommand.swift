import ArgumentParser
import Foundation
import SpoolCore
import SpoolEngine

/// Decodes every image a bundle names, in this (disposable) process: a hostile or broken image can crash a
/// decoder here without harming the daemon. Prints a JSON report; exits 1 when an image is unusable.
struct ProbeImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-images",
        abstract: "Check that every image of a bundle exists and decodes (used by validation).")

    @Argument(help: "The bundle folder.")
    var bundle: String

    func run() throws {
        let job = try JobBundle.load(directory: URL(fileURLWithPath: bundle))
        var problems: [String] = [], warnings: [String] = []
        var checked = 0
        let files: [(String, [DatasetRecord])] = [(job.settings.trainingDataPath, job.trainRecords)]
            + (job.validationRecords.map { [(job.settings.validationDataPath ?? "validation", $0)] } ?? [])
        for (file, records) in files {
            for record in records {
                let path = job.imagePath(record)
                checked += 1
                guard FileManager.default.fileExists(atPath: path) else {
                    problems.append("\(file):\(record.line): image_url: \(record.imageURL) is not in the bundle")
                    continue
                }
                do {
                    let size = try ImageLoader.probe(path: path)
                    if let details = record.imageDetails, let w = details.width, let h = details.height,
                       w != size.width || h != size.height {
                        warnings.append("\(file):\(record.line): image_details says \(w)x\(h) but \(record.imageURL) is \(size.width)x\(size.height); the decoded size is used")
                    }
                } catch {
                    problems.append("\(file):\(record.line): image_url: \(record.imageURL) cannot be decoded (\(error.message))")
                }
            }
        }
        let report: [String: Any] = ["checked": checked, "problems": problems, "warnings": warnings]
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        if !problems.isEmpty { throw ExitCode(1) }
    }
}
