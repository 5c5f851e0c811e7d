import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolIngest
import SpoolRunner

extension Spoolctl.Submit {
    /// The archive endings a job's name leaves out (as the daemon names a job from its drop).
    static let archiveSuffixes = [".tar.gz", ".tar.zst", ".tgz", ".tar", ".zip"]

    public func validate() throws {
        _ = try TrainArguments.overrideValues(overrides)
        if let name {
            guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), !DropRules().ignores(name) else {
                throw ValidationError("--name \(name): a job name is a plain file name, not starting with a dot "
                    + "nor ending in .part, .tmp or .partial, e.g. --name fridge-december")
            }
        }
    }

    /// The drop's name: --name (with the archive's ending, so it is still unpacked), else the source's.
    func dropName(for source: URL) -> String {
        let own = source.standardizedFileURL.lastPathComponent
        guard let name else { return own }
        return name + (Self.archiveSuffixes.first { own.lowercased().hasSuffix($0) } ?? "")
    }

    /// With --set or --name, a copy of the bundle in the spool's tmp/ with the overrides written into its
    /// settings (as settings.json); nil without them. A key that is not a training parameter is refused here,
    /// with the nearest key.
    func stageChanges(_ source: URL, layout: SpoolLayout) throws -> URL? {
        guard !overrides.isEmpty || name != nil else { return nil }
        let values = try TrainArguments.overrideValues(overrides)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory)
        if !values.isEmpty, !isDirectory.boolValue {
            throw CommandError("--set changes a bundle folder's settings, and \(bundle) is an archive: unpack it first "
                + "(`spoolctl unpack \(bundle) DIR`), then submit DIR with --set")
        }
        do {
            return try Dropper(layout: layout).stage(source) { copy in
                guard !values.isEmpty else { return }
                guard let file = JobBundle.settingsNames.map({ copy.appendingPathComponent($0) })
                    .first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
                    throw CommandError("--set: \(bundle) has no settings.yaml to set training parameters in")
                }
                let text = try String(contentsOf: file, encoding: .utf8)
                try Self.checkOverrides(values, settings: text, file: file.lastPathComponent)
                let data = try SettingsOverrides.apply(values, to: text)
                for name in JobBundle.settingsNames { try? FileManager.default.removeItem(at: copy.appendingPathComponent(name)) }
                try data.write(to: copy.appendingPathComponent("settings.json"))
            }
        } catch let error as RunnerError {
            throw CommandError(error.description)
        }
    }

    /// Refuses overrides the settings do not take (an unknown key, a bad value), when the settings without
    /// them are fine (their own problems are the validation's to report).
    static func checkOverrides(_ values: [String: SettingValue], settings text: String, file: String) throws {
        guard let settings = try? JobSettings.parse(text, file: file, json: file.hasSuffix(".json")),
              (try? settings.trainingParameters()) != nil else { return }
        do {
            _ = try settings.trainingParameters(overrides: values)
        } catch {
            throw CommandError("--set: \(error.description)\n(the training parameters and their values: docs/hyperparameters.md)")
        }
    }
}
