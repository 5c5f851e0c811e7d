import Foundation
import SpoolCore
import Testing

/// A fresh directory under the system's temporary folder, removed by the caller's `defer`.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("spoolcore-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `text` to `name` inside `directory` and returns its URL.
@discardableResult
func write(_ text: String, to name: String, in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
}

enum ReferenceError: Error, CustomStringConvertible {
    case failed(status: Int32, output: String)
    case missingScikitLearn
    case missingPython

    var description: String {
        switch self {
        case let .failed(status, output): "the reference script exited with \(status):\n\(output)"
        case .missingScikitLearn:
            "/usr/bin/python3 has no scikit-learn: run scripts/setup.sh --test (it installs python3-sklearn)"
        case .missingPython:
            "no /usr/bin/python3: run scripts/setup.sh --test (it installs Debian's python3 with scikit-learn)"
        }
    }
}

/// Runs `script` with Debian's `/usr/bin/python3` (the one with scikit-learn, not the first python3 on
/// PATH), passing `input` as a JSON file path, and returns the JSON object it prints. A missing
/// scikit-learn is an error that says how to install it: the parity tests never skip silently.
/// The script signals a failed import by exiting with status 3.
func runReferencePython(_ script: String, input: Any) throws -> [String: Any] {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw ReferenceError.missingPython }
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let inputURL = directory.appendingPathComponent("input.json")
    try JSONSerialization.data(withJSONObject: input).write(to: inputURL)
    let scriptURL = try write(script, to: "reference.py", in: directory)

    let run = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/python3"), [scriptURL.path, inputURL.path])
    if run.status == 3 && !run.signalled { throw ReferenceError.missingScikitLearn }
    guard run.succeeded, let object = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any] else {
        throw ReferenceError.failed(status: run.status, output: run.stdoutText + run.stderrText)
    }
    return object
}
