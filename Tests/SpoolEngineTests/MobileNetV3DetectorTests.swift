import Foundation
import SpoolEngine
import Testing

/// torchvision 0.14's fasterrcnn_mobilenet_v3_large_fpn in the engine: the R-CNN parity (the same random weights,
/// the same detections in evaluation and the same four losses in training, through DetectionParityTests' checks),
/// and what the MobileNetV3 backbone adds to the family: torchvision's six trainable-layer stages (the same
/// parameters frozen at trainable_backbone_layers 3) and an ImageNet `mobilenet_v3_large` file starting
/// `backbone.body` (its `features.N` are the body's `N`).
@Suite(.serialized)
struct MobileNetV3DetectorTests {
    static let name = "fasterrcnn_mobilenet_v3_large_fpn"
    static let parityCase = DetectionParityTests.Case(name: name)

    @Test func detectionsMatchTorchvision() throws {
        try DetectionParityTests().detectionsMatchTorchvision(Self.parityCase)
    }

    @Test func trainingLossesMatchTorchvision() throws {
        try DetectionParityTests().trainingLossesMatchTorchvision(Self.parityCase)
    }

    /// torchvision's model as a pretrained backbone makes it (FrozenBatchNorm2d, the top 3 of 6 stages trainable),
    /// how many of its parameters train, and an ImageNet classifier's file.
    static let reference = """
        import json, sys, torch
        from torchvision.models import mobilenet_v3_large
        from torchvision.models.detection import FasterRCNN
        from torchvision.models.detection.anchor_utils import AnchorGenerator
        from torchvision.models.detection.backbone_utils import _mobilenet_extractor
        from torchvision.ops import misc
        torch.manual_seed(0)
        backbone = _mobilenet_extractor(mobilenet_v3_large(weights=None, norm_layer=misc.FrozenBatchNorm2d), True, 3)
        anchors = AnchorGenerator(((32, 64, 128, 256, 512),) * 3, ((0.5, 1.0, 2.0),) * 3)
        model = FasterRCNN(backbone, num_classes=4, rpn_anchor_generator=anchors, rpn_score_thresh=0.05)
        classifier = mobilenet_v3_large(weights=None)
        torch.save(classifier.state_dict(), sys.argv[1])
        features = [k for k in classifier.state_dict() if k.startswith("features.") and not k.endswith("num_batches_tracked")]
        print(json.dumps({"total": sum(p.numel() for p in model.parameters()),
                          "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
                          "features": len(features)}))
        """

    @Test func stagesAndImageNetBackboneAsTorchvision() throws {
        let dir = try TestSupport.temporaryDirectory("mobilenet-v3-detector")
        defer { try? FileManager.default.removeItem(at: dir) }
        let imagenet = dir.appendingPathComponent("mobilenet_v3_large.pth")
        let printed = try TestSupport.run(TestSupport.debianPython, ["-c", Self.reference, imagenet.path])
        let line = try #require(printed.split(separator: "\n").last(where: { $0.hasPrefix("{") }))
        let counts = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Int])

        var options = ModelOptions(name: Self.name, task: .objectDetection, numClasses: 3)
        options.frozenBatchNorm = true
        options.trainableBackboneLayers = 3
        let model = try Model(options)
        #expect(try model.layerGroupCount == 6, "torchvision's stages: the stem, five strided stages... the last conv")
        let parameters = try model.parameterCount()
        #expect(parameters.total == counts["total"], "\(parameters.total) parameters, torchvision \(counts["total"] ?? -1)")
        #expect(parameters.trainable == counts["trainable"], "\(parameters.trainable) train, torchvision \(counts["trainable"] ?? -1)")

        let report = try model.load(weights: imagenet.path, replaceHead: false)
        #expect(report.backboneOnly, "an ImageNet classifier's file is a backbone: \(report)")
        #expect(report.loaded == counts["features"], "every tensor of `features` loads: \(report), file \(counts["features"] ?? -1)")

        // From scratch every stage trains; at 0 none of the body does, and layers_to_freeze counts the same six.
        let all = try Model(ModelOptions(name: Self.name, task: .objectDetection, numClasses: 3)).parameterCount()
        #expect(all.trainable == all.total)
        var none = ModelOptions(name: Self.name, task: .objectDetection, numClasses: 3)
        none.trainableBackboneLayers = 0
        let frozenBody = try Model(none)
        let fromZero = try frozenBody.parameterCount()
        try frozenBody.freeze(groups: 6)
        #expect(try frozenBody.parameterCount().trainable == fromZero.trainable, "the body was frozen already")
        #expect(fromZero.trainable < parameters.trainable && parameters.trainable < all.trainable)
    }
}
