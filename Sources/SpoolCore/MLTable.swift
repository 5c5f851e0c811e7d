import Foundation
import Yams

/// Azure's MLTable folder (`training_data: {path: ./train-mltable-folder, type: mltable}`): a folder holding
/// an `MLTable` file whose `paths:` name the JSONL, as Azure's own AutoML image examples lay data out.
///
/// ```yaml
/// paths:
///   - file: ./train_annotations.jsonl
/// transformations:
///   - read_json_lines: {encoding: utf8, invalid_lines: error, include_path_column: false}
/// ```
public enum MLTable {
    public static let fileName = "MLTable"

    /// The JSONL an MLTable folder names. `display` is the folder as the settings named it, for messages.
    public static func jsonl(inFolder folder: URL, display: String) throws(TrainingError) -> URL {
        let file = folder.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw TrainingError.bundle("\(display): a folder without an MLTable file; give the JSONL's path, or an "
                + "MLTable folder whose MLTable file names it (paths: [{file: ./train.jsonl}])")
        }
        let where_ = "\(display)/\(fileName)"
        let document: Any?
        do {
            document = try Yams.load(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw TrainingError.bundle("\(where_): not valid YAML")
        }
        guard let map = document as? [String: Any], let paths = map["paths"] as? [Any], !paths.isEmpty else {
            throw TrainingError.bundle("\(where_): expected paths: [{file: ./annotations.jsonl}]")
        }
        var files: [String] = []
        for entry in paths {
            guard let item = entry as? [String: Any] else {
                throw TrainingError.bundle("\(where_): each entry of paths must be a mapping like {file: ./annotations.jsonl}")
            }
            if let path = item["file"] as? String {
                files.append(path)
            } else if item["folder"] != nil || item["pattern"] != nil {
                throw TrainingError.bundle("\(where_): paths with folder: or pattern: are not read; name the JSONL with file:")
            }
        }
        guard files.count == 1, let only = files.first else {
            throw TrainingError.bundle("\(where_): names \(files.count) files; Spool reads one JSONL per MLTable")
        }
        var relative = only
        if let stripped = try? DatastorePath.relativePath(only).get(), only.contains("://") { relative = stripped }
        let url = folder.appendingPathComponent(relative).standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.bundle("\(where_): file \(only) is not in the folder (looked at \(display)/\(relative))")
        }
        return url
    }
}
