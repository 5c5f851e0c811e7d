import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import SpoolCommands
import Testing

/// `spoolctl weights pull` offline: URLSession's "cannot find host", "cannot connect", "timed out" and "not
/// connected" become one plain message naming the host and the ways round it; other errors are not read as
/// an unreachable host. (The whole command against a closed port: WeightsCommandTests.)
@Suite struct UnreachableHostTests {
    static func urlError(_ code: Int) -> NSError {
        NSError(domain: NSURLErrorDomain, code: code, userInfo: [NSLocalizedDescriptionKey: "Could not resolve host: x"])
    }

    @Test func networkErrorsAreReadAsAnUnreachableHost() throws {
        let dns = try #require(UnreachableHost(Self.urlError(NSURLErrorCannotFindHost), timeout: 60))
        #expect(dns.reason.contains("does not resolve") && !dns.worthRetrying)
        #expect(UnreachableHost(Self.urlError(NSURLErrorDNSLookupFailed), timeout: 60) == dns)
        #expect(UnreachableHost(Self.urlError(NSURLErrorNotConnectedToInternet), timeout: 60)?.reason
            == "this machine is not connected to a network")
        #expect(UnreachableHost(Self.urlError(NSURLErrorCannotConnectToHost), timeout: 60)?.worthRetrying == true)
        #expect(UnreachableHost(Self.urlError(NSURLErrorTimedOut), timeout: 60)?.reason == "it did not answer within 60 s")
        #expect(UnreachableHost(Self.urlError(NSURLErrorNetworkConnectionLost), timeout: 60) == nil)
        #expect(UnreachableHost(CocoaError(.fileNoSuchFile), timeout: 60) == nil)
    }

    @Test func theMessageNamesTheHostTheFileAndTheWaysRoundIt() throws {
        let host = try #require(UnreachableHost(Self.urlError(NSURLErrorCannotFindHost), timeout: 60))
        let url = URL(string: "https://download.pytorch.org/models/resnet50-0676ba61.pth")!
        let text = host.message(url: url, file: "resnet50-0676ba61.pth", folder: URL(fileURLWithPath: "/srv/spool/weights"))
        #expect(text.hasPrefix("cannot reach download.pytorch.org: its name does not resolve"), "\(text)")
        for part in ["--from https://", "--from /FOLDER", "copy it into /srv/spool/weights", url.absoluteString] {
            #expect(text.contains(part), "\(part) in \(text)")
        }
        #expect(!text.contains("NSURLErrorDomain") && !text.contains("Code=") && !text.contains("run the same command again"))
    }
}
