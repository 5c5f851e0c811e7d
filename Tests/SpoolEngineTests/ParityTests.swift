import Foundation
import SpoolEngine
import Testing

/// The same random weights, exported by the reference implementation (Debian's torchvision, or timm on
/// Debian's torch), load into Spool under their own names and give the same logits on the same input.
@Suite(.serialized)
struct ParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let spoolName: String
        let referenceName: String
        let size: Int
        let timm: Bool
        var testDescription: String { "\(spoolName) = \(referenceName) @\(size)" }
    }

    static let cases: [Case] = [
        Case(spoolName: "resnet18", referenceName: "resnet18", size: 64, timm: false),
        Case(spoolName: "resnet50", referenceName: "resnet50", size: 64, timm: false),
        Case(spoolName: "mobilenetv2", referenceName: "mobilenet_v2", size: 64, timm: false),
        Case(spoolName: "vitb16r224", referenceName: "vit_b_16", size: 224, timm: false),
        Case(spoolName: "seresnext", referenceName: "seresnext50_32x4d", size: 64, timm: true),
        Case(spoolName: "resnest50", referenceName: "resnest50d", size: 64, timm: true),
        Case(spoolName: "resnest101", referenceName: "resnest101e", size: 64, timm: true),
        Case(spoolName: "vits16r224", referenceName: "vit_small_patch16_224", size: 224, timm: true),
    ]

    @Test(arguments: cases)
    func logitsMatchTheReference(_ c: Case) throws {
        // One thread on both sides: float sums in another order differ by more than the tolerance in deep nets.
        try EngineRuntime.setThreads(1)
        defer { try? EngineRuntime.setThreads(nil) }
        let dir = try TestSupport.temporaryDirectory("parity-\(c.referenceName)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = TestSupport.referenceScripts.appendingPathComponent("export_reference.py").path
        try TestSupport.run(c.timm ? TestSupport.venvPython : TestSupport.debianPython,
                            [script, c.referenceName, dir.path, "--size", "\(c.size)", "--classes", "7", "--seed", "3"])
        let input = try TestSupport.readFloatTensor(dir.appendingPathComponent("input.safetensors"), key: "input")
        let expected = try TestSupport.readFloatTensor(dir.appendingPathComponent("logits.safetensors"), key: "logits")

        let model = try Model(name: c.spoolName, numClasses: 7, imageSize: c.size)
        let report = try model.load(weights: dir.appendingPathComponent("weights.safetensors").path, replaceHead: false)
        #expect(report.loaded > 0 && report.unexpected == 0 && report.skippedHead == 0)
        let logits = try model.forward(input.values, batch: input.shape[0], height: input.shape[2], width: input.shape[3])
        #expect(logits.count == expected.values.count)
        let scale = max(1e-6, expected.values.map { abs($0) }.max() ?? 1)
        let diff = zip(logits, expected.values).map { abs($0 - $1) }.max() ?? .infinity
        print("parity \(c.spoolName) vs \(c.referenceName): max |diff| \(diff), logit scale \(scale)")
        #expect(diff <= 1e-4 * scale, "max |diff| \(diff) against logits of scale \(scale)")
    }

    @Test func weightsOfAnotherArchitectureAreRefusedWithTheirNames() throws {
        let dir = try TestSupport.temporaryDirectory("parity-mismatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = TestSupport.referenceScripts.appendingPathComponent("export_reference.py").path
        try TestSupport.run(TestSupport.debianPython, [script, "resnet18", dir.path, "--size", "32", "--classes", "7"])
        let model = try Model(name: "resnet34", numClasses: 7)
        let error = #expect(throws: EngineError.self) {
            try model.load(weights: dir.appendingPathComponent("weights.safetensors").path, replaceHead: false)
        }
        #expect(error?.code == .weights)
        #expect(error?.message.contains("Missing: layer1.2.") == true, "\(error?.message ?? "")")

        // With a new head, a 7-class file loads into a 3-class model and only the head is skipped.
        let three = try Model(name: "resnet18", numClasses: 3)
        let report = try three.load(weights: dir.appendingPathComponent("weights.safetensors").path, replaceHead: true)
        #expect(report.skippedHead == 2)
        #expect(report.unexpected == 0)  // the file's own head counts as the head, not as unexpected
    }

    @Test func plainDictTorchSaveFilesLoadToo() throws {
        let dir = try TestSupport.temporaryDirectory("parity-pth")
        defer { try? FileManager.default.removeItem(at: dir) }
        let pth = dir.appendingPathComponent("resnet18.pth").path
        try TestSupport.run(TestSupport.debianPython, ["-c", """
            import torch, torchvision
            torch.manual_seed(0)
            m = torchvision.models.resnet18(num_classes=4)
            torch.save(dict(m.state_dict()), "\(pth)")
            """])
        let model = try Model(name: "resnet18", numClasses: 4)
        let report = try model.load(weights: pth, replaceHead: false)
        #expect(report.loaded == 122)
    }
}
