import Foundation
import SpoolCore
import SpoolTraining
import Testing

/// `spoolctl import-model` with torchvision detector files as users have them: trained from scratch (plain
/// BatchNorm, so `num_batches_tracked` buffers), with the background slot at output 0 for every detector (RetinaNet
/// included), labels with or without torchvision's leading `__background__` line; and errors that blame the head
/// only when the head is what differs.
@Suite(.serialized)
struct ImportModelTests {
    static func spoolctl(_ arguments: [String]) throws -> TrainingSupport.Output {
        try TrainingSupport.run(CommandLineTests.bin.appendingPathComponent("spoolctl"), arguments,
                                environment: ["OPENBLAS_NUM_THREADS": "1"])
    }

    /// Writes torchvision detectors built from scratch (weights=None, plain BatchNorm2d) with `num_classes` 3 (two
    /// classes and the background slot), and the same Faster R-CNN with a stem of another shape (not the head).
    static func export(into dir: URL) throws {
        let script = """
            import sys, torch, torchvision
            from torch import nn
            from torchvision.models.detection import FasterRCNN, MaskRCNN, retinanet_resnet50_fpn
            from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
            torch.manual_seed(0)
            out = sys.argv[1]
            def backbone():
                return resnet_fpn_backbone(backbone_name="resnet18", weights=None, norm_layer=nn.BatchNorm2d, trainable_layers=5)
            faster = FasterRCNN(backbone(), num_classes=3)
            torch.save(faster.state_dict(), out + "/fasterrcnn.pth")
            torch.save(MaskRCNN(backbone(), num_classes=3).state_dict(), out + "/maskrcnn.pth")
            retina = retinanet_resnet50_fpn(weights=None, weights_backbone=None, num_classes=3)
            torch.save(retina.state_dict(), out + "/retinanet.pth")
            state = faster.state_dict()
            assert any(k.endswith("num_batches_tracked") for k in state), "plain BatchNorm has step counters"
            state["backbone.body.conv1.weight"] = torch.zeros(32, 3, 7, 7)
            torch.save(state, out + "/stem.pth")
            """
        let result = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython), ["-c", script, dir.path])
        guard result.status == 0 else { throw TestFailure("python: \(result.stderr)") }
    }

    /// The RetinaNet head Spool saved equals torchvision's with the background slot of each anchor dropped.
    static func retinaNetHeadLosesOnlyTheBackgroundSlot(_ pth: URL, _ imported: URL) throws -> String {
        let script = """
            import sys, torch
            sys.path.insert(0, sys.argv[3])
            import safetensors_io
            theirs = torch.load(sys.argv[1])
            ours = safetensors_io.load(sys.argv[2])
            for name in ("head.classification_head.cls_logits.weight", "head.classification_head.cls_logits.bias"):
                t = theirs[name]
                expected = t.reshape(9, 3, -1)[:, 1:].reshape(9 * 2, *t.shape[1:])
                assert ours[name].shape == expected.shape, (name, ours[name].shape, expected.shape)
                assert torch.equal(ours[name], expected), name
            assert torch.equal(ours["backbone.body.conv1.weight"], theirs["backbone.body.conv1.weight"])
            print("ok")
            """
        let reference = TrainingSupport.repository.appendingPathComponent("Tests/reference").path
        let result = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython),
                                             ["-c", script, pth.path, imported.appendingPathComponent("weights.safetensors").path, reference])
        return result.status == 0 ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : result.stderr
    }

    @Test func torchvisionDetectorsTrainedFromScratchImportWithOneLabelsRule() throws {
        let dir = try TrainingSupport.temporaryDirectory("import-scratch")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.export(into: dir)
        let classes = dir.appendingPathComponent("classes.txt"), withBackground = dir.appendingPathComponent("torchvision.txt")
        try "cat\ndog\n".write(to: classes, atomically: true, encoding: .utf8)
        try "__background__\ncat\ndog\n".write(to: withBackground, atomically: true, encoding: .utf8)

        // Every family, both labels files: the same two classes.
        for (model, file) in [("fasterrcnn_resnet18_fpn", "fasterrcnn"), ("maskrcnn_resnet18_fpn", "maskrcnn"),
                              ("retinanet_resnet50_fpn", "retinanet")] {
            for labels in [classes, withBackground] {
                let out = dir.appendingPathComponent("\(file)-\(labels.deletingPathExtension().lastPathComponent)")
                let imported = try Self.spoolctl(["import-model", "--model", model, "--weights", dir.appendingPathComponent("\(file).pth").path,
                                                  "--labels", labels.path, "--out", out.path, "--min-size", "128", "--max-size", "128"])
                #expect(imported.status == 0, "\(model) with \(labels.lastPathComponent): \(imported.stderr)")
                guard imported.status == 0 else { continue }
                #expect(try ModelManifest.read(from: out).classes == ["cat", "dog"], "\(model) with \(labels.lastPathComponent)")
                if file == "retinanet" {
                    #expect(try Self.retinaNetHeadLosesOnlyTheBackgroundSlot(dir.appendingPathComponent("retinanet.pth"), out) == "ok")
                }
            }
        }

        // A head of another size is the labels' business, and says what they make.
        let four = dir.appendingPathComponent("four.txt")
        try "cat\ndog\nbird\nfish\n".write(to: four, atomically: true, encoding: .utf8)
        let wrongHead = try Self.spoolctl(["import-model", "--model", "retinanet_resnet50_fpn", "--weights", dir.appendingPathComponent("retinanet.pth").path,
                                           "--labels", four.path, "--out", dir.appendingPathComponent("wrong-head").path])
        #expect(wrongHead.status != 0)
        #expect(wrongHead.stderr.contains("head.classification_head.cls_logits.weight") && wrongHead.stderr.contains("4 classes")
                && wrongHead.stderr.contains("4 or 5 outputs") && !wrongHead.stderr.contains("num_batches_tracked"), "\(wrongHead.stderr)")

        // Another misfit is the file's: named, and the head is not blamed.
        let stem = try Self.spoolctl(["import-model", "--model", "fasterrcnn_resnet18_fpn", "--weights", dir.appendingPathComponent("stem.pth").path,
                                      "--labels", classes.path, "--out", dir.appendingPathComponent("stem").path])
        #expect(stem.status != 0)
        #expect(stem.stderr.contains("backbone.body.conv1.weight") && !stem.stderr.contains("head must have")
                && !stem.stderr.contains("num_batches_tracked"), "\(stem.stderr)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("stem").path)) ?? []
        #expect(left.isEmpty, "a refused import leaves no model folder: \(left)")
    }
}
