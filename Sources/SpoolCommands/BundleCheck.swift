import Foundation
import SpoolArguments
import SpoolCore
import SpoolIngest
import SpoolRunner

/// Runs the spool's validation on a bundle folder or archive, as `validate` and `submit` do: an archive is
/// unpacked safely into a scratch folder that is removed afterwards, and messages name the user's bundle.
enum BundleCheck {
    static func run(_ bundle: String, estimate: Bool, weightsDirectories: [String] = []) throws -> BundleValidator.Report {
        let url = URL(fileURLWithPath: bundle)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw CommandError("\(bundle): no such file or folder")
        }
        var root = url
        var scratch: URL?
        defer { if let scratch { try? FileManager.default.removeItem(at: scratch) } }
        if isDir.boolValue {
            // A folder's images archive is unpacked by the daemon; check a copy of what it will see.
            if ArchiveExtractor.imagesArchiveNames.contains(where: {
                FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path)
            }) {
                let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("spool-check-\(UUID().uuidString)")
                scratch = tmp
                do {
                    try FileManager.default.copyItem(at: url, to: tmp)
                    _ = try ArchiveExtractor().extractNestedImages(inBundleAt: tmp, limits: ExtractionLimits())
                } catch let error as ExtractionError {
                    throw CommandError("\(bundle): \(error.description)")
                } catch {
                    throw CommandError("\(bundle): \(ErrorText.describe(error))")
                }
                root = tmp
            }
        } else {
            let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("spool-check-\(UUID().uuidString)")
            scratch = tmp
            do {
                root = try ArchiveExtractor().extractBundle(at: url, into: tmp, limits: ExtractionLimits())
            } catch {
                throw CommandError("\(bundle): \(error.description)")
            }
        }
        let trainer = try? TrainerProcess.executableURL()
        return BundleValidator(trainer: trainer, weightsDirectories: weightsDirectories)
            .validate(bundleRoot: root, displayName: bundle, estimate: estimate)
    }
}
