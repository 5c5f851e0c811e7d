import Foundation

/// What a converter was pointed at: one annotation file or a folder of them.
enum ConversionInput {
    /// Whether `url` is a folder (false: a file); an error naming it as `shown` when it does not exist.
    static func isFolder(_ url: URL, shown: String) throws(ConversionError) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ConversionError(file: shown, message: "no such file or folder")
        }
        return isDirectory.boolValue
    }
}
