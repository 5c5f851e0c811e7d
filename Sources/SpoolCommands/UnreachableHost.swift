import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A download whose host could not be reached at all (no DNS, no network, nothing listening, no answer), told
/// as such: the host by name and what to do without it, never URLSession's domain and code.
struct UnreachableHost: Equatable {
    /// Why, in words: "its name does not resolve (no network, or no DNS)".
    var reason: String
    /// Whether another attempt may help (a timeout or a refused connection may be passing; a name that does
    /// not resolve, or no network at all, will not change within seconds).
    var worthRetrying: Bool

    /// The unreachable-host reading of a URLSession error; nil for any other error (a cut connection, TLS).
    init?(_ error: any Error, timeout: Double) {
        let error = error as NSError
        guard error.domain == NSURLErrorDomain else { return nil }
        switch error.code {
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed:
            (reason, worthRetrying) = ("its name does not resolve (no network, or no DNS server that knows it)", false)
        case NSURLErrorNotConnectedToInternet:
            (reason, worthRetrying) = ("this machine is not connected to a network", false)
        case NSURLErrorCannotConnectToHost:
            (reason, worthRetrying) = ("nothing accepted the connection (refused, or a firewall)", true)
        case NSURLErrorTimedOut:
            (reason, worthRetrying) = ("it did not answer within \(Int(timeout)) s", true)
        default:
            return nil
        }
    }

    init(reason: String, worthRetrying: Bool) {
        self.reason = reason
        self.worthRetrying = worthRetrying
    }

    /// The message for `file` not fetched from `url`: the host, why, and the two ways round it (`--from` a
    /// mirror or a folder, or copying the file into the weights folder).
    func message(url: URL, file: String, folder: URL) -> String {
        let host = url.host ?? url.absoluteString
        return "cannot reach \(host): \(reason); \(file) was not downloaded. Without that host: pull from a mirror "
            + "(--from https://MIRROR/PATH, a server holding the same file names) or from a folder (--from /FOLDER, "
            + "e.g. a USB stick holding \(file)), or fetch \(url.absoluteString) on a machine that has internet and "
            + "copy it into \(folder.path)"
    }
}
