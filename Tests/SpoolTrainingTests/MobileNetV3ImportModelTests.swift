import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// `spoolctl import-model` with torchvision's fasterrcnn_mobilenet_v3_large_fpn files: one trained from scratch
/// (plain BatchNorm, step counters) with a labels file, and one shaped as torchvision's COCO release
/// (`fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth`: FrozenBatchNorm2d, 91 outputs) without one. Every tensor of
/// the model folder is the file's, and the imported COCO model predicts.
@Suite(.serialized)
struct MobileNetV3ImportModelTests {
    static let export = """
        import sys, torch
        from torchvision.models import mobilenet_v3_large
        from torchvision.models.detection import FasterRCNN, fasterrcnn_mobilenet_v3_large_fpn
        from torchvision.models.detection.anchor_utils import AnchorGenerator
        from torchvision.models.detection.backbone_utils import _mobilenet_extractor
        from torchvision.ops import misc
        torch.manual_seed(0)
        out = sys.argv[1]
        scratch = fasterrcnn_mobilenet_v3_large_fpn(weights=None, weights_backbone=None, num_classes=3)
        assert any(k.endswith("num_batches_tracked") for k in scratch.state_dict())
        torch.save(scratch.state_dict(), out + "/scratch.pth")
        body = _mobilenet_extractor(mobilenet_v3_large(weights=None, norm_layer=misc.FrozenBatchNorm2d), True, 3)
        anchors = AnchorGenerator(((32, 64, 128, 256, 512),) * 3, ((0.5, 1.0, 2.0),) * 3)
        coco = FasterRCNN(body, num_classes=91, rpn_anchor_generator=anchors, rpn_score_thresh=0.05)
        torch.save(coco.state_dict(), out + "/coco.pth")
        """

    /// Every tensor of the imported folder equals the file's, and every tensor of the file but BatchNorm's step
    /// counters is in the folder.
    static let compare = """
        import sys, torch
        sys.path.insert(0, sys.argv[3])
        import safetensors_io
        theirs = {k: v for k, v in torch.load(sys.argv[1]).items() if not k.endswith("num_batches_tracked")}
        ours = safetensors_io.load(sys.argv[2])
        assert set(ours) == set(theirs), (sorted(set(ours) ^ set(theirs)))[:5]
        different = [k for k in theirs if not torch.equal(ours[k], theirs[k])]
        assert not different, different[:5]
        print("ok", len(ours))
        """

    static func spoolctl(_ arguments: [String]) throws -> TrainingSupport.Output {
        try TrainingSupport.run(CommandLineTests.bin.appendingPathComponent("spoolctl"), arguments,
                                environment: ["OPENBLAS_NUM_THREADS": "1"])
    }

    static func sameTensors(_ pth: URL, _ folder: URL) throws -> String {
        let reference = TrainingSupport.repository.appendingPathComponent("Tests/reference").path
        let result = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython),
                                             ["-c", compare, pth.path, folder.appendingPathComponent("weights.safetensors").path, reference])
        return result.status == 0 ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : result.stderr
    }

    @Test func torchvisionFilesImport() throws {
        let dir = try TrainingSupport.temporaryDirectory("import-mobilenet-v3")
        defer { try? FileManager.default.removeItem(at: dir) }
        let exported = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython), ["-c", Self.export, dir.path])
        try #require(exported.status == 0, "python: \(exported.stderr)")
        let model = "fasterrcnn_mobilenet_v3_large_fpn"

        let labels = dir.appendingPathComponent("classes.txt")
        try "cat\ndog\n".write(to: labels, atomically: true, encoding: .utf8)
        let scratch = dir.appendingPathComponent("scratch")
        let imported = try Self.spoolctl(["import-model", "--model", model, "--weights", dir.appendingPathComponent("scratch.pth").path,
                                          "--labels", labels.path, "--out", scratch.path, "--min-size", "128", "--max-size", "128"])
        try #require(imported.status == 0, "\(imported.stderr)")
        #expect(try ModelManifest.read(from: scratch).classes == ["cat", "dog"])
        #expect(try Self.sameTensors(dir.appendingPathComponent("scratch.pth"), scratch).hasPrefix("ok"))

        let coco = dir.appendingPathComponent("coco")
        let cocoImport = try Self.spoolctl(["import-model", "--model", model, "--weights", dir.appendingPathComponent("coco.pth").path,
                                            "--out", coco.path, "--min-size", "128", "--max-size", "128"])
        try #require(cocoImport.status == 0, "\(cocoImport.stderr)")
        let manifest = try ModelManifest.read(from: coco)
        #expect(manifest.classes == Array(COCOCategories.names.dropFirst()), "the 90 categories after the background")
        #expect(manifest.architecture?.name == model)
        #expect(try Self.sameTensors(dir.appendingPathComponent("coco.pth"), coco).hasPrefix("ok"))
        // predict, evaluate and serve-model rebuild the folder as import-model built it, with FrozenBatchNorm2d
        // (statistics, no step counters, in MobileNetV3's numbered blocks rather than ResNet's bn1).
        #expect(DetectionHead.hasFrozenBatchNorm(coco.appendingPathComponent("weights.safetensors")))

        let image = dir.appendingPathComponent("street.png")
        try ImageLoader.write(path: image.path, pixels: (0..<(160 * 120 * 3)).map { UInt8(($0 * 37) % 251) },
                              width: 160, height: 120, channels: 3)
        let predicted = try Self.spoolctl(["predict", "--model", coco.path, "--json", image.path])
        try #require(predicted.status == 0, "\(predicted.stderr)")
        let results = try #require(try JSONSerialization.jsonObject(with: Data(predicted.stdout.utf8)) as? [[String: Any]])
        #expect(results.count == 1 && results[0]["boxes"] is [Any], "\(predicted.stdout)")
    }
}
