import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SpoolCore
import SpoolIngest

/// Fetches a reference weight file into a weights folder: from its official URL, from a mirror holding the same
/// file names under another base URL, or from a local folder. The bytes go to `.partial/NAME` first; an
/// interrupted download resumes from where it stopped (an HTTP range request; a server that ignores ranges
/// sends the whole file again); the SHA-256 (or the prefix the reference publishes) is checked before the file
/// is renamed into place, and a file that fails the check is deleted: nothing unchecked is ever kept.
///
/// HTTP is Foundation's URLSession (libcurl underneath on Linux): no hand-written client.
struct WeightsDownloader {
    enum Source: Equatable {
        /// The catalogue's own URL.
        case official
        /// A base URL under which the mirror holds each file by its name.
        case mirror(URL)
        /// A local folder holding the files by their names.
        case folder(URL)

        /// `--from`: an http(s) URL is a mirror, anything else a folder.
        init(_ text: String?) {
            guard let text, !text.isEmpty else { self = .official; return }
            if let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" {
                self = .mirror(url)
            } else {
                self = .folder(URL(fileURLWithPath: text))
            }
        }
    }

    struct Outcome {
        var file: URL
        var bytes: Int64
        var sha256: String
        /// Whether an earlier partial download was continued.
        var resumed: Bool
        /// Connection attempts it took.
        var attempts: Int
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    var folder: WeightsFolder
    var source: Source = .official
    /// Attempts per file before giving up (a cut connection is retried, resuming).
    var attempts = 4
    /// Seconds without a byte before an attempt is abandoned.
    var timeout: Double = 60
    /// Called with (bytes so far, total when known).
    var progress: (Int64, Int64?) -> Void = { _, _ in }

    func fetch(_ weights: ModelCatalog.Weights) throws -> Outcome {
        let fm = FileManager.default
        try fm.createDirectory(at: folder.url, withIntermediateDirectories: true)
        let partialDir = folder.url.appendingPathComponent(".partial", isDirectory: true)
        try fm.createDirectory(at: partialDir, withIntermediateDirectories: true)
        let partial = partialDir.appendingPathComponent(weights.fileName)
        let final = folder.location(of: weights)

        var resumed = false
        var tries = 0
        switch source {
        case let .folder(dir):
            let from = dir.appendingPathComponent(weights.fileName)
            guard fm.fileExists(atPath: from.path) else {
                throw Failure(description: "\(from.path): no such file in the mirror folder (it must hold the official file names)")
            }
            try? fm.removeItem(at: partial)
            try fm.copyItem(at: from, to: partial)
            tries = 1
        case .official, .mirror:
            let url: URL
            if case let .mirror(base) = source {
                url = base.appendingPathComponent(weights.fileName)
            } else {
                guard let official = URL(string: weights.url) else { throw Failure(description: "\(weights.url): not a URL") }
                url = official
            }
            var lastError = ""
            var unreachable: UnreachableHost?
            var done = false
            attempt: while tries < attempts, !done {
                tries += 1
                let have = (try? fm.attributesOfItem(atPath: partial.path)[.size] as? NSNumber)?.int64Value ?? 0
                if have > 0 { resumed = true }
                switch HTTPFileTransfer(url: url, file: partial, offset: have, timeout: timeout, progress: progress).run() {
                case .complete:
                    done = true
                case let .interrupted(reason):
                    lastError = reason
                    unreachable = nil
                case let .unreachable(host):
                    unreachable = host
                    if !host.worthRetrying { break attempt }
                case let .refused(reason):
                    try? fm.removeItem(at: partial)
                    throw Failure(description: "\(url.absoluteString): \(reason)")
                }
            }
            guard done else {
                if let unreachable {
                    if (try? fm.contentsOfDirectory(atPath: partialDir.path))?.isEmpty == true { try? fm.removeItem(at: partialDir) }
                    throw Failure(description: unreachable.message(url: url, file: weights.fileName, folder: folder.url))
                }
                throw Failure(description: "\(url.absoluteString): the download did not complete after \(tries) attempts (\(lastError)); "
                    + "run the same command again to resume it")
            }
        }

        let digest = try BundleFingerprint.fileSHA256(partial)
        if let expected = weights.sha256?.lowercased(), !digest.hasPrefix(expected) {
            try? fm.removeItem(at: partial)
            throw Failure(description: "\(weights.fileName): its SHA-256 is \(digest), but the reference publishes \(expected)"
                + (expected.count < 64 ? "…" : "") + "; the file was deleted. The source holds another file under this name.")
        }
        let bytes = (try fm.attributesOfItem(atPath: partial.path)[.size] as? NSNumber)?.int64Value ?? 0
        try? fm.removeItem(at: final)
        try fm.moveItem(at: partial, to: final)
        rmdir(partialDir.path)  // only when empty: other files' partial downloads stay to be resumed
        return Outcome(file: final, bytes: bytes, sha256: digest, resumed: resumed, attempts: tries)
    }
}

/// One HTTP GET of a file into `file` from byte `offset` (a range request when the offset is not zero),
/// streamed to disk as it arrives.
private final class HTTPFileTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    enum Result {
        case complete
        /// Worth retrying: the bytes so far are kept.
        case interrupted(String)
        /// Not worth retrying (not found, forbidden).
        case refused(String)
        /// The host could not be reached at all (no DNS, no network, nothing listening).
        case unreachable(UnreachableHost)
    }

    let url: URL
    let file: URL
    let offset: Int64
    let timeout: Double
    let progress: (Int64, Int64?) -> Void
    private let done = DispatchSemaphore(value: 0)
    private var handle: FileHandle?
    private var result: Result = .interrupted("no response")
    private var received: Int64 = 0
    private var expected: Int64?
    /// Set when the response alone decided the result (refused, or a range past the end).
    private var decided = false

    init(url: URL, file: URL, offset: Int64, timeout: Double, progress: @escaping (Int64, Int64?) -> Void) {
        self.url = url
        self.file = file
        self.offset = offset
        self.timeout = timeout
        self.progress = progress
    }

    func run() -> Result {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        var request = URLRequest(url: url)
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        session.dataTask(with: request).resume()
        done.wait()
        session.finishTasksAndInvalidate()
        try? handle?.close()
        return result
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            (result, decided) = (.refused("not an HTTP response"), true)
            completionHandler(.cancel)
            return
        }
        let fm = FileManager.default
        switch http.statusCode {
        case 206 where offset > 0:
            received = offset
        case 200:
            // The whole file (a first request, or a server that ignores ranges): start over.
            try? fm.removeItem(at: file)
            received = 0
        case 416:
            // The range is past the end: the partial file is suspect; start over next time.
            try? fm.removeItem(at: file)
            (result, decided) = (.interrupted("the server refused to resume (HTTP 416)"), true)
            completionHandler(.cancel)
            return
        default:
            (result, decided) = (.refused("HTTP \(http.statusCode) \(HTTPURLResponse.localizedString(forStatusCode: http.statusCode))"), true)
            completionHandler(.cancel)
            return
        }
        if !fm.fileExists(atPath: file.path) { _ = fm.createFile(atPath: file.path, contents: nil) }
        handle = try? FileHandle(forWritingTo: file)
        _ = try? handle?.seekToEnd()
        if http.expectedContentLength > 0 { expected = received + http.expectedContentLength }
        result = .interrupted("the connection closed early")
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        handle?.write(data)
        received += Int64(data.count)
        progress(received, expected)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if decided {
        } else if let error, let host = UnreachableHost(error, timeout: timeout), handle == nil {
            result = .unreachable(host)
        } else if let error {
            result = .interrupted(ErrorText.describe(error))
        } else if let expected, received < expected {
            result = .interrupted("the connection closed after \(received) of \(expected) bytes")
        } else if handle != nil {
            result = .complete
        }
        done.signal()
    }
}
