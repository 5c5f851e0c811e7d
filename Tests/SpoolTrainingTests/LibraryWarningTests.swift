import Foundation
import SpoolCore
import Testing

/// The libraries under the engine print nothing on the user's terminal: Spool reports every problem itself.
@Suite(.serialized)
struct LibraryWarningTests {
    /// A PNG whose iCCP chunk libpng complains of ("libpng warning: iCCP: too short", the same path as the
    /// common "iCCP: known incorrect sRGB profile"): a 16x16 picture with a 132-byte empty colour profile.
    static func pngWithABadColourProfile(_ path: String) throws {
        let script = """
            import struct, sys, zlib
            def chunk(kind, data):
                return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
            rows = b''.join(b'\\x00' + bytes(v for x in range(16) for v in (x * 16, y * 16, 128)) for y in range(16))
            png = (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 16, 16, 8, 2, 0, 0, 0))
                   + chunk(b'iCCP', b'bad\\x00\\x00' + zlib.compress(bytes(132))) + chunk(b'IDAT', zlib.compress(rows))
                   + chunk(b'IEND', b''))
            open(sys.argv[1], 'wb').write(png)
            """
        let result = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython), ["-c", script, path])
        guard result.status == 0 else { throw TestFailure("python: \(result.stderr)") }
    }

    /// The image is scored; libpng's warning about its colour profile does not reach standard error. OpenCV's
    /// PNG decoder leaves libpng's default warning handler in place (it prints to stderr), so the engine drops
    /// the iCCP chunks before `cv::imdecode` (`data/image_io.cpp`; OpenCV applies no colour profile).
    @Test func libpngsColourProfileWarningDoesNotReachTheTerminal() throws {
        let dir = try TrainingSupport.temporaryDirectory("libpng-warning")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try DetectionThresholdTests.untrainedModel(.resnet18, task: .imageClassification, in: dir)
        let image = dir.appendingPathComponent("profiled.png").path
        try Self.pngWithABadColourProfile(image)
        let predict = try CommandLineTests.spoolctl(["predict", "--model", model.path, image])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout.hasPrefix(image + ": circle "), "\(predict.stdout)")
        #expect(!predict.stderr.contains("libpng warning"), "\(predict.stderr)")
    }
}
