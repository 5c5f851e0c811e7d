import Foundation
import SpoolCore
import SpoolEngine
import Testing

/// The C ABI builds a model from its spec and one option block of its family (spool_model_create_v2), which the
/// family validates: unknown keys, wrong types and values out of range are refused with the model, the key, the
/// value and what is allowed. Swift sends its own family's keys and no other's.
@Suite(.serialized)
struct ModelOptionBlockTests {
    static func task(_ entry: EngineRuntime.CatalogEntry) -> EngineTask {
        switch entry.tasks {
        case "object_detection": .objectDetection
        case "instance_segmentation": .instanceSegmentation
        default: .multiclass
        }
    }

    static func failure(_ name: String, task: EngineTask, _ block: String) throws -> EngineError {
        let options = ModelOptions(name: name, task: task, numClasses: 3)
        let error = try #require(throws: EngineError.self) { try Model(options, optionBlock: block) }
        #expect(error.code == .invalidArgument)
        return error
    }

    @Test func anUnknownKeyNamesTheModelTheKeyAndTheFamilysKeys() throws {
        let error = try Self.failure("yolov5s", task: .objectDetection, #"{"min_size": 600}"#)
        #expect(error.description == "model 'yolov5s' (yolo) has no option 'min_size'; its options: image_size, "
                + "box_score_thresh, box_nms_thresh, box_detections_per_img, multi_scale, anchors", "\(error)")
        let classifier = try Self.failure("resnet18", task: .multiclass, #"{"box_score_thresh": 0.3}"#)
        #expect(classifier.description == "model 'resnet18' (classifier) has no option 'box_score_thresh'; its options: image_size")
        // Mask R-CNN's outputs are the two-stage family's; the one-stage detectors have no masks.
        let dense = try Self.failure("retinanet_resnet50_fpn", task: .objectDetection, #"{"max_polygon_points": 10}"#)
        #expect(dense.description.hasPrefix("model 'retinanet_resnet50_fpn' (one_stage_dense) has no option 'max_polygon_points'"))
    }

    @Test func aWrongTypeNamesTheKeyTheValueAndWhatIsAllowed() throws {
        let error = try Self.failure("fasterrcnn_resnet18_fpn", task: .objectDetection, #"{"min_size": "600"}"#)
        #expect(error.description == #"option 'min_size' of model 'fasterrcnn_resnet18_fpn' is "600"; allowed: an integer from 1 to 10000"#)
        let flag = try Self.failure("fcos_resnet50_fpn", task: .objectDetection, #"{"frozen_batch_norm": 1}"#)
        #expect(flag.description == "option 'frozen_batch_norm' of model 'fcos_resnet50_fpn' is 1; allowed: true or false")
        let range = try Self.failure("maskrcnn_resnet18_fpn", task: .instanceSegmentation, #"{"mask_pixel_score_thresh": 1.5}"#)
        #expect(range.description == "option 'mask_pixel_score_thresh' of model 'maskrcnn_resnet18_fpn' is 1.5; allowed: a number from 0 to 1")
        let side = try Self.failure("yolov5s", task: .objectDetection, #"{"image_size": 100}"#)
        #expect(side.description == "option 'image_size' of model 'yolov5s' is 100; allowed: an integer from 32 to 4096, a multiple of 32")
        let notObject = try Self.failure("resnet18", task: .multiclass, "[1, 2]")
        #expect(notObject.description == "the options of model 'resnet18' must be a JSON object, not [1,2]")
        let notJSON = try Self.failure("resnet18", task: .multiclass, "{image_size: 224}")
        #expect(notJSON.description == "the options of model 'resnet18' are not valid JSON: {image_size: 224}")
    }

    @Test func badAnchorsAreRefusedWithWhatAnchorsAre() throws {
        let allowed = "allowed: 18 positive numbers (9 anchors as w, h pixel pairs, P3 to P5), or null for Ultralytics' defaults"
        let short = try Self.failure("yolov5s", task: .objectDetection, #"{"anchors": [10, 13, 16, 30]}"#)
        #expect(short.description == "option 'anchors' of model 'yolov5s' is [10,13,16,30]; \(allowed)")
        var negative = [Float](repeating: 10, count: 18)
        negative[5] = -2
        var options = ModelOptions(name: "yolov5s", task: .objectDetection, numClasses: 3)
        options.anchors = negative
        let error = try #require(throws: EngineError.self) { try Model(options) }
        #expect(error.code == .invalidArgument)
        #expect(error.description.hasPrefix("option 'anchors' of model 'yolov5s' is [10,10,10,10,10,-2,10,"), "\(error)")
        #expect(error.description.hasSuffix(allowed))
        // A non-finite threshold from Swift reaches the engine as text, refused by name.
        var nan = ModelOptions(name: "yolov5s", task: .objectDetection, numClasses: 3)
        nan.boxScoreThreshold = .nan
        let nanError = try #require(throws: EngineError.self) { try Model(nan) }
        #expect(nanError.description == #"option 'box_score_thresh' of model 'yolov5s' is "nan"; allowed: a number from 0 to 1"#)
    }

    /// The catalogue lists each model's family and its keys; the family is SpoolCore's recipe family, and every
    /// key a family takes is one Swift can send.
    @Test func familiesAndKeysAgreeWithSwift() throws {
        let catalog = try EngineRuntime.catalog()
        let expected: [String: Set<String>] = [
            "classifier": ["image_size"],
            "two_stage_rcnn": ["min_size", "max_size", "box_score_thresh", "box_nms_thresh", "box_detections_per_img",
                               "frozen_batch_norm", "trainable_backbone_layers", "mask_pixel_score_thresh",
                               "max_polygon_points"],
            "one_stage_dense": ["min_size", "max_size", "box_score_thresh", "box_nms_thresh", "box_detections_per_img",
                                "frozen_batch_norm", "trainable_backbone_layers"],
            "yolo": ["image_size", "box_score_thresh", "box_nms_thresh", "box_detections_per_img", "multi_scale", "anchors"],
        ]
        for entry in catalog {
            let swift = try #require(ModelCatalog.entries.first { $0.engineModels.contains(entry.name) })
            #expect(entry.metaArchitecture == swift.metaArchitecture.rawValue, "\(entry.name): \(entry.metaArchitecture)")
            #expect(Set(entry.options.keys) == expected[entry.metaArchitecture], "\(entry.name): \(entry.options.keys.sorted())")
            #expect(Set(entry.options.keys).isSubset(of: ModelOptions.optionKeys), "\(entry.name): a key Swift cannot send")
            // What Swift sends for the model: exactly its family's keys (anchors set, so none falls to a default).
            var options = ModelOptions(name: entry.name, task: Self.task(entry), numClasses: 3)
            options.anchors = [Float](repeating: 8, count: 18)
            let block = try #require(try JSONSerialization.jsonObject(with: Data(try options.familyOptionBlock().utf8)) as? [String: Any])
            #expect(Set(block.keys) == Set(entry.options.keys), "\(entry.name) sends \(block.keys.sorted())")
        }
        let yolo = try #require(catalog.first { $0.name == "yolov5s" })
        #expect(yolo.options["image_size"] == .integer(640))
        #expect(yolo.options["multi_scale"] == .bool(false))
        guard case .numbers(let anchors)? = yolo.options["anchors"] else { Issue.record("anchors: \(String(describing: yolo.options["anchors"]))"); return }
        #expect(anchors.prefix(4) == [10, 13, 16, 30] && anchors.count == 18)
        #expect(catalog.first { $0.name == "fasterrcnn_resnet50_fpn" }?.options["box_score_thresh"] == .number(0.3))
    }

    /// Every catalogue model builds from its family's defaults ("{}") and from the block Swift sends.
    @Test func everyModelBuildsFromDefaultsAndFromSwiftsBlock() throws {
        for entry in try EngineRuntime.catalog() {
            let options = ModelOptions(name: entry.name, task: Self.task(entry), numClasses: 3)
            let fromDefaults = try Model(options, optionBlock: "{}")
            let fromSwift = try Model(options)
            let a = try fromDefaults.parameterCount(), b = try fromSwift.parameterCount()
            #expect(a.total > 0 && a.total == b.total, "\(entry.name): \(a.total) vs \(b.total) parameters")
        }
    }

    /// The block's values reach the model: the R-CNNs' frozen BatchNorm and trainable stages, as Swift sends them too.
    @Test func theBlocksValuesReachTheModel() throws {
        var options = ModelOptions(name: "fasterrcnn_resnet18_fpn", task: .objectDetection, numClasses: 3)
        let all = try Model(options, optionBlock: #"{"trainable_backbone_layers": -1}"#).parameterCount()
        let three = try Model(options, optionBlock: #"{"trainable_backbone_layers": 3, "frozen_batch_norm": true}"#).parameterCount()
        #expect(three.trainable < all.trainable, "\(three.trainable) of \(all.trainable) train")
        options.trainableBackboneLayers = 3
        options.frozenBatchNorm = true
        let fromSwift = try Model(options).parameterCount()
        #expect(fromSwift.total == three.total && fromSwift.trainable == three.trainable)
    }
}
