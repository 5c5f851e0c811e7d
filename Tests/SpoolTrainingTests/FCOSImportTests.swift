import Foundation
import SpoolCore
import SpoolEngine
import SpoolTraining
import Testing

/// `spoolctl import-model` with torchvision's FCOS files: shaped as its COCO release (`fcos_resnet50_fpn_coco-*.pth`:
/// frozen BatchNorm, so no num_batches_tracked; 91 outputs, slot 0 the background id that is never a target) and
/// trained from scratch on two classes (plain BatchNorm). The background slot is dropped as the file loads, every
/// other tensor is the file's, and a head of another size is blamed on the labels with what they make.
@Suite(.serialized)
struct FCOSImportTests {
    /// Spool's saved tensors against torchvision's file: the classification logits without slot 0, the rest equal.
    static let compare = """
        import sys, torch
        sys.path.insert(0, sys.argv[3])
        import safetensors_io
        theirs = {k: v for k, v in torch.load(sys.argv[1]).items() if not k.endswith("num_batches_tracked")}
        ours = safetensors_io.load(sys.argv[2])
        assert set(ours) == set(theirs), sorted(set(ours) ^ set(theirs))[:5]
        for name, t in theirs.items():
            expected = t[1:] if name.startswith("head.classification_head.cls_logits.") else t
            assert ours[name].shape == expected.shape, (name, ours[name].shape, expected.shape)
            assert torch.equal(ours[name], expected), name
        print("ok")
        """

    @Test func torchvisionFilesImportWithTheBackgroundSlotDropped() throws {
        let dir = try TrainingSupport.temporaryDirectory("import-fcos")
        defer { try? FileManager.default.removeItem(at: dir) }
        let coco = dir.appendingPathComponent("fcos_coco.pth"), scratch = dir.appendingPathComponent("fcos_scratch.pth")
        let export = """
            import sys, torch
            from torchvision.models.detection import fcos_resnet50_fpn
            torch.manual_seed(0)
            model = fcos_resnet50_fpn(weights=None, weights_backbone=None, num_classes=91)
            with torch.no_grad():
                model.head.classification_head.cls_logits.bias.uniform_(-3, -1)  # slots told apart
            torch.save({k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}, sys.argv[1])
            torch.save(fcos_resnet50_fpn(weights=None, weights_backbone=None, num_classes=3).state_dict(), sys.argv[2])
            """
        let exported = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython), ["-c", export, coco.path, scratch.path])
        try #require(exported.status == 0, "\(exported.stderr)")
        let reference = TrainingSupport.repository.appendingPathComponent("Tests/reference").path
        func sameTensors(_ pth: URL, _ folder: URL) throws -> String {
            let result = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython),
                                                 ["-c", Self.compare, pth.path, folder.appendingPathComponent("weights.safetensors").path, reference])
            return result.status == 0 ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : result.stderr
        }

        // COCO's shape, no --labels: torchvision's 90 category names after the background, and it predicts.
        let folder = dir.appendingPathComponent("coco")
        let imported = try ImportModelTests.spoolctl(["import-model", "--model", "fcos_resnet50_fpn", "--weights", coco.path,
                                                      "--out", folder.path, "--min-size", "128", "--max-size", "128"])
        try #require(imported.status == 0, "\(imported.stderr)")
        let manifest = try ModelManifest.read(from: folder)
        #expect(manifest.classes == Array(COCOCategories.names.dropFirst()) && manifest.modelName == .fcosResnet50FPN
                && manifest.architecture?.library == "torchvision" && manifest.architecture?.name == "fcos_resnet50_fpn")
        #expect(manifest.task == .imageObjectDetection && manifest.detection?.minSize == 128)
        #expect(try sameTensors(coco, folder) == "ok")
        let image = dir.appendingPathComponent("street.png")
        try ImageLoader.write(path: image.path, pixels: (0..<(160 * 120 * 3)).map { UInt8(($0 * 37) % 251) },
                              width: 160, height: 120, channels: 3)
        let predicted = try ImportModelTests.spoolctl(["predict", "--model", folder.path, "--json", image.path])
        try #require(predicted.status == 0, "\(predicted.stderr)")
        let results = try #require(try JSONSerialization.jsonObject(with: Data(predicted.stdout.utf8)) as? [[String: Any]])
        #expect(results.count == 1 && results[0]["boxes"] is [Any], "\(predicted.stdout)")

        // From scratch on two classes: torchvision's labels file (background first) names the two.
        let labels = dir.appendingPathComponent("torchvision.txt")
        try "__background__\ncat\ndog\n".write(to: labels, atomically: true, encoding: .utf8)
        let two = dir.appendingPathComponent("two")
        let scratchImport = try ImportModelTests.spoolctl(["import-model", "--model", "fcos_resnet50_fpn", "--weights", scratch.path,
                                                           "--labels", labels.path, "--out", two.path])
        try #require(scratchImport.status == 0, "\(scratchImport.stderr)")
        #expect(try ModelManifest.read(from: two).classes == ["cat", "dog"])
        #expect(try sameTensors(scratch, two) == "ok")

        // Four labels make a head of 4 or 5 outputs, not the file's 3: the head and the labels are named.
        let four = dir.appendingPathComponent("four.txt")
        try "cat\ndog\nbird\nfish\n".write(to: four, atomically: true, encoding: .utf8)
        let wrong = try ImportModelTests.spoolctl(["import-model", "--model", "fcos_resnet50_fpn", "--weights", scratch.path,
                                                   "--labels", four.path, "--out", dir.appendingPathComponent("wrong").path])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("head.classification_head.cls_logits.weight") && wrong.stderr.contains("4 classes")
                && wrong.stderr.contains("4 or 5 outputs"), "\(wrong.stderr)")
    }
}
