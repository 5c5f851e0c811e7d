import Foundation
import SpoolArguments
import SpoolCore

/// A bundle made from a folder per class for a command that takes a bundle (`submit DIR`): in a scratch
/// folder named after the source (the drop keeps the user's name), images hard-linked where they can be.
struct MadeBundle {
    /// The scratch folder, removed by `remove()`.
    let scratch: URL
    /// The bundle inside it.
    let bundle: URL

    /// Makes the bundle when `source` is a folder per class (no settings file, no JSONL, two or more
    /// sub-folders of images), printing one line to standard error; nil for anything else.
    static func ifFolderPerClass(_ source: URL, shown: String, quiet: Bool) throws -> MadeBundle? {
        guard BundleMaker.isFolderPerClass(source) else { return nil }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("spool-bundle-\(UUID().uuidString)")
        let bundle = scratch.appendingPathComponent(source.standardizedFileURL.lastPathComponent)
        let outcome: BundleMaker.Outcome
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            outcome = try BundleMaker(source: source, sourceName: shown, kind: .folders, link: true).make(into: bundle)
        } catch {
            try? FileManager.default.removeItem(at: scratch)
            throw CommandError(ErrorText.describe(error))
        }
        if !quiet {
            FileHandle.standardError.write(Data(("\(shown): taken as a folder per class: \(outcome.dataset.classNames.count) "
                + "classes, \(outcome.imageCount) images; submitting the bundle made from it (settings: the defaults)\n").utf8))
        }
        return MadeBundle(scratch: scratch, bundle: bundle)
    }

    func remove() {
        try? FileManager.default.removeItem(at: scratch)
    }
}
