import SpoolEngine
import Testing

/// Every classification model at a small input: output shape, finite outputs, a gradient for every parameter
/// (timm's test_model_backward, in the engine).
@Suite(.serialized)
struct ModelZooTests {
    static let models = ["mobilenetv2", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnest50",
                         "resnest101", "seresnext", "vits16r224", "vitb16r224", "vitl16r224"]

    @Test func engineKnowsExactlyTheTwelveModels() throws {
        #expect(try EngineRuntime.catalog().filter { $0.tasks == "classification" }.map(\.name) == Self.models)
    }

    @Test(arguments: models)
    func smallInputForwardAndBackward(name: String) throws {
        try EngineRuntime.setThreads(nil)
        let side = 32, batch = 2, classes = 5
        let model = try Model(name: name, numClasses: classes, imageSize: side)
        let input = TestSupport.randomInput(count: batch * 3 * side * side, seed: 11)
        let logits = try model.forward(input, batch: batch, height: side, width: side)
        #expect(logits.count == batch * classes)
        #expect(logits.allSatisfy { $0.isFinite })
        let report = try model.gradientCheck(try TestSupport.classificationLoader(side: side, classes: classes, count: batch))
        #expect(report.parameters > 0)
        #expect(report.missing.isEmpty, "parameters without a gradient: \(report.missing.prefix(5))")
        #expect(report.nonFinite == 0)
        #expect(report.outputsFinite)
        #expect(report.loss.isFinite)
    }

    @Test func unknownModelNamesTheAllowedOnes() throws {
        let error = #expect(throws: EngineError.self) { try Model(name: "resnet19", numClasses: 2) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("allowed: mobilenetv2, resnet18") == true)
    }

    @Test func layerGroupsMatchTheSpecification() throws {
        let expected = ["resnet18": 5, "mobilenetv2": 19, "seresnext": 5, "resnest50": 5, "vits16r224": 13,
                        "vitb16r224": 13, "vitl16r224": 25]
        for (name, groups) in expected {
            let model = try Model(name: name, numClasses: 3, imageSize: 32)
            #expect(try model.layerGroupCount == groups, "\(name)")
        }
    }

    @Test func freezingTheFirstGroupsLeavesOnlyTheRestTrainable() throws {
        let model = try Model(name: "resnet18", numClasses: 3, imageSize: 32)
        let all = try model.parameterCount()
        #expect(all.total == all.trainable)
        try model.freeze(groups: 5)
        let frozen = try model.parameterCount()
        // Only the head (fc: 512 x 3 + 3) still trains.
        #expect(frozen.trainable == 512 * 3 + 3)
        try model.freeze(groups: 0)
        #expect(try model.parameterCount().trainable == all.total)
        let error = #expect(throws: EngineError.self) { try model.freeze(groups: 6) }
        #expect(error?.message.contains("allowed 0...5") == true)
    }

    @Test func yoloV5FreezesItsBackboneLayerByLayer() throws {
        let model = try Model(ModelOptions(name: "yolov5s", task: .objectDetection, numClasses: 3))
        #expect(try model.layerGroupCount == 10)
        let all = try model.parameterCount()
        // Ultralytics' DetectionModel("yolov5s.yaml", nc=3): 7,027,720 parameters, 4,171,456 in model.0-model.9.
        #expect(all.total == 7_027_720 && all.trainable == all.total)
        try model.freeze(groups: 10)
        #expect(try model.parameterCount().trainable == 7_027_720 - 4_171_456)
        try model.freeze(groups: 1)
        #expect(try model.parameterCount().trainable == 7_027_720 - (32 * 3 * 6 * 6 + 2 * 32))  // model.0: conv + bn
        let error = #expect(throws: EngineError.self) { try model.freeze(groups: 11) }
        #expect(error?.message.contains("allowed 0...10") == true)
    }
}
