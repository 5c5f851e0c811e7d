import Foundation
import SpoolCore

/// Checks a bundle before it is queued: settings, training parameters, JSONL, at least 10 images, and every
/// image present and decodable. Every problem is collected, so the user fixes them all in one go.
public struct BundleValidator: Sendable {
    /// `spool-trainer`, which decodes the images in a disposable process (nil: skip the decode check).
    public var trainer: URL?
    public static let minimumImages = 10

    public init(trainer: URL?) { self.trainer = trainer }

    public struct Report: Sendable {
        public var bundle: JobBundle?
        public var parameters: TrainingParameters?
        public var problems: [String]
        public var warnings: [String]
        public var isValid: Bool { problems.isEmpty }
    }

    public func validate(bundleRoot: URL) -> Report {
        var problems: [String] = [], warnings: [String] = []
        let bundle: JobBundle
        do {
            bundle = try JobBundle.load(directory: bundleRoot)
        } catch let error as SettingsError {
            return Report(bundle: nil, parameters: nil, problems: error.problems.map(\.description), warnings: [])
        } catch let error as DatasetError {
            return Report(bundle: nil, parameters: nil, problems: error.problems.map(\.description), warnings: [])
        } catch {
            return Report(bundle: nil, parameters: nil, problems: ["\(error)"], warnings: [])
        }
        var parameters: TrainingParameters?
        do {
            parameters = try bundle.settings.trainingParameters()
        } catch {
            problems += error.problems.map(\.description)
        }
        let images = bundle.trainRecords.count + (bundle.validationRecords?.count ?? 0)
        if images < Self.minimumImages {
            problems.append("\(bundle.settings.trainingDataPath): \(images) images; at least \(Self.minimumImages) are needed to train and validate")
        }
        // Fewer than ~10 images of a label: a warning, not a rejection (spec section 2).
        var perLabel: [String: Int] = [:]
        for record in bundle.trainRecords + (bundle.validationRecords ?? []) {
            for name in record.label.classNames { perLabel[name, default: 0] += 1 }
        }
        for (label, count) in perLabel.sorted(by: { $0.key < $1.key }) where count < 10 {
            warnings.append("label '\(label)' has only \(count) image(s); 10-15 or more per label train better")
        }
        if let trainer, problems.isEmpty {
            let probe = Self.probeImages(trainer: trainer, bundle: bundleRoot)
            problems += probe.problems
            warnings += probe.warnings
        }
        return Report(bundle: bundle, parameters: parameters, problems: problems, warnings: warnings)
    }

    /// Runs `spool-trainer probe-images BUNDLE` and reads its JSON report.
    static func probeImages(trainer: URL, bundle: URL) -> (problems: [String], warnings: [String]) {
        let process = Process()
        process.executableURL = trainer
        process.arguments = ["probe-images", bundle.path]
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] ?? "1"
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            return (["cannot start \(trainer.path) to check the images: \(error)"], [])
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let report = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            let status = process.terminationReason == .uncaughtSignal ? "crashed with signal \(process.terminationStatus)" : "exited \(process.terminationStatus)"
            return (["the image check \(status): \(errorText.split(separator: "\n").last ?? "")"], [])
        }
        return (report["problems"] as? [String] ?? [], report["warnings"] as? [String] ?? [])
    }
}
