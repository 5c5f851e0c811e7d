import Foundation

/// Spool's one table of models (section 4 of the specification), from which everything else is derived:
/// names, task, family, the reference (library and architecture), layer groups for `layers_to_freeze`,
/// per-model defaults, AutoMode's choices, help texts and the reference weight files. The engine's C++
/// registry holds the same names, tasks and references (a test keeps the two equal); adding a model is one
/// row here, one row there, and its module.
public enum ModelCatalog {
    public enum TaskFamily: String, Sendable, Codable {
        case classification
        case objectDetection = "object_detection"
        case instanceSegmentation = "instance_segmentation"

        public init(_ task: ImageTask) {
            switch task {
            case .imageClassification, .imageClassificationMultilabel: self = .classification
            case .imageObjectDetection: self = .objectDetection
            case .imageInstanceSegmentation: self = .instanceSegmentation
            }
        }

        /// The task a model of these tasks is built for when none is named (multiclass for classifiers).
        public var defaultTask: ImageTask {
            switch self {
            case .classification: .imageClassification
            case .objectDetection: .imageObjectDetection
            case .instanceSegmentation: .imageInstanceSegmentation
            }
        }
    }

    /// A reference weight file: where the reference publishes it, and how to check it.
    public struct Weights: Sendable, Equatable {
        /// The file name the reference downloads (torchvision's carries its SHA-256 prefix).
        public var fileName: String
        public var url: String
        /// The SHA-256 the file must have, or its prefix (torchvision publishes the first 8 or 10 hex digits in
        /// the file name and checks only those); nil where the reference publishes none.
        public var sha256: String?
        /// What it was trained on: "ImageNet-1k", "COCO 2017".
        public var dataset: String
        /// The whole model (true) or only its backbone (an ImageNet classifier for a detector).
        public var wholeModel: Bool

        public init(fileName: String, url: String, sha256: String?, dataset: String, wholeModel: Bool) {
            self.fileName = fileName
            self.url = url
            self.sha256 = sha256
            self.dataset = dataset
            self.wholeModel = wholeModel
        }
    }

    public struct Entry: Sendable {
        public var name: ModelName
        public var family: String
        public var tasks: TaskFamily
        /// The reference library: torchvision, timm, ultralytics.
        public var library: String
        /// The reference's own name: resnet18, vit_b_16, fasterrcnn_resnet50_fpn.
        public var architecture: String
        /// How many groups `layers_to_freeze` may freeze (section 5's lists).
        public var layerGroupCount: Int
        public var summary: String
        public var weights: [Weights]
        /// Whether this build's engine has the model (the rows of later work are listed before they land, so
        /// that their names are read and refused plainly).
        public var available = true
        /// A model meant for a GPU and pretrained weights: from scratch on a CPU an epoch takes far too long.
        public var needsGPU = false

        /// How this model is configured, fed, trained and shipped: its family's line in `ModelCatalog.recipes`.
        public var recipe: any ModelRecipe {
            guard let recipe = ModelCatalog.recipes[family] else {
                preconditionFailure("model family '\(family)' of \(name) has no line in ModelCatalog.recipes")
            }
            return recipe
        }

        /// The meta-architecture of its recipe.
        public var metaArchitecture: ModelFamily { recipe.family }

        /// The engine's models behind this name: one per size where the family has sizes (yolov5s ... yolov5x).
        public var engineModels: [String] { recipe.engineModels(of: name) }
    }

    /// Each catalogue family's recipe: one line a family. A new model of an existing family is one row in
    /// `entries`; a new family adds its line here (and its recipe type where none fits).
    public static let recipes: [String: any ModelRecipe] = [
        "mobilenet_v2": ClassifierRecipe(), "resnet": ClassifierRecipe(), "resnest": ClassifierRecipe(),
        "seresnext": ClassifierRecipe(), "vit": ClassifierRecipe(patchSize: 16),
        "fasterrcnn": TorchvisionDetectorRecipe(.twoStageRCNN, backgroundSlot: .first),
        "maskrcnn": TorchvisionDetectorRecipe(.twoStageRCNN, backgroundSlot: .first),
        "retinanet": TorchvisionDetectorRecipe(.oneStageDense, backgroundSlot: .droppedOnLoad),
        "fcos": TorchvisionDetectorRecipe(.oneStageDense, backgroundSlot: .droppedOnLoad),
        "yolov5": YOLORecipe(),
    ]

    /// Every model by the name the engine and `import-model` know it (each size of a family with sizes).
    public static var engineModelNames: [String] { entries.filter(\.available).flatMap(\.engineModels) }

    /// The catalogue model an engine model's name stands for (`yolov5s`: yolov5 at model_size small; a
    /// one-model name: itself), with the parameters the name implies; case and blanks ignored.
    public static func engineModel(named text: String, task: ImageTask? = nil) -> (model: ModelName, parameters: TrainingParameters)? {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        for entry in entries {
            let task = task ?? entry.tasks.defaultTask
            if let p = entry.recipe.parameters(forEngineModel: name, model: entry.name, task: task) { return (entry.name, p) }
        }
        return nil
    }

    static func torchvision(_ file: String, dataset: String = "ImageNet-1k", whole: Bool = true) -> Weights {
        let stem = (file as NSString).deletingPathExtension
        let hash = stem.split(separator: "-").last.map(String.init)
        return Weights(fileName: file, url: "https://download.pytorch.org/models/\(file)", sha256: hash,
                       dataset: dataset, wholeModel: whole)
    }

    /// Ultralytics' COCO release file of a YOLOv5 size (the whole model pickled in half precision).
    static func ultralytics(_ letter: String) -> Weights {
        Weights(fileName: "yolov5\(letter).pt", url: "https://github.com/ultralytics/yolov5/releases/download/v7.0/yolov5\(letter).pt",
                sha256: nil, dataset: "COCO 2017", wholeModel: true)
    }

    static func timm(_ repo: String, file: String = "model.safetensors", as local: String) -> Weights {
        Weights(fileName: local, url: "https://huggingface.co/\(repo)/resolve/main/\(file)", sha256: nil,
                dataset: "ImageNet-1k", wholeModel: true)
    }

    /// Every model, in the specification's order. Legend: name, family, tasks, library, architecture, layer
    /// groups, summary, reference weights.
    public static let entries: [Entry] = {
        let c = TaskFamily.classification, d = TaskFamily.objectDetection, s = TaskFamily.instanceSegmentation
        var rows: [Entry] = [
            Entry(name: .mobilenetv2, family: "mobilenet_v2", tasks: c, library: "torchvision", architecture: "mobilenet_v2",
                  layerGroupCount: 19, summary: "MobileNetV2: small and fast, the CPU's choice",
                  weights: [torchvision("mobilenet_v2-b0353104.pth")]),
            Entry(name: .resnet18, family: "resnet", tasks: c, library: "torchvision", architecture: "resnet18",
                  layerGroupCount: 5, summary: "ResNet-18", weights: [torchvision("resnet18-f37072fd.pth")]),
            Entry(name: .resnet34, family: "resnet", tasks: c, library: "torchvision", architecture: "resnet34",
                  layerGroupCount: 5, summary: "ResNet-34", weights: [torchvision("resnet34-b627a593.pth")]),
            Entry(name: .resnet50, family: "resnet", tasks: c, library: "torchvision", architecture: "resnet50",
                  layerGroupCount: 5, summary: "ResNet-50", weights: [torchvision("resnet50-0676ba61.pth")]),
            Entry(name: .resnet101, family: "resnet", tasks: c, library: "torchvision", architecture: "resnet101",
                  layerGroupCount: 5, summary: "ResNet-101", weights: [torchvision("resnet101-63fe2227.pth")]),
            Entry(name: .resnet152, family: "resnet", tasks: c, library: "torchvision", architecture: "resnet152",
                  layerGroupCount: 5, summary: "ResNet-152", weights: [torchvision("resnet152-394f9c45.pth")]),
            Entry(name: .resnest50, family: "resnest", tasks: c, library: "timm", architecture: "resnest50d",
                  layerGroupCount: 5, summary: "ResNeSt-50 (split attention)",
                  weights: [timm("timm/resnest50d.in1k", as: "resnest50d.safetensors")]),
            Entry(name: .resnest101, family: "resnest", tasks: c, library: "timm", architecture: "resnest101e",
                  layerGroupCount: 5, summary: "ResNeSt-101",
                  weights: [timm("timm/resnest101e.in1k", as: "resnest101e.safetensors")]),
            Entry(name: .seresnext, family: "seresnext", tasks: c, library: "timm", architecture: "seresnext50_32x4d",
                  layerGroupCount: 5, summary: "SE-ResNeXt-50 32x4d",
                  weights: [timm("timm/seresnext50_32x4d.racm_in1k", as: "seresnext50_32x4d.safetensors")]),
            Entry(name: .vits16r224, family: "vit", tasks: c, library: "timm", architecture: "vit_small_patch16_224",
                  layerGroupCount: 13, summary: "ViT-S/16 at 224 px",
                  weights: [timm("timm/vit_small_patch16_224.augreg_in21k_ft_in1k", as: "vit_small_patch16_224.safetensors")]),
            Entry(name: .vitb16r224, family: "vit", tasks: c, library: "torchvision", architecture: "vit_b_16",
                  layerGroupCount: 13, summary: "ViT-B/16 at 224 px: Azure's default, a GPU model",
                  weights: [torchvision("vit_b_16-c867db91.pth")], needsGPU: true),
            Entry(name: .vitl16r224, family: "vit", tasks: c, library: "torchvision", architecture: "vit_l_16",
                  layerGroupCount: 25, summary: "ViT-L/16 at 224 px",
                  weights: [torchvision("vit_l_16-852ce7e3.pth")], needsGPU: true),
        ]
        let backbones = ["18": "resnet18-f37072fd.pth", "34": "resnet34-b627a593.pth", "50": "resnet50-0676ba61.pth",
                         "101": "resnet101-63fe2227.pth", "152": "resnet152-394f9c45.pth"]
        for depth in ["18", "34", "50", "101", "152"] {
            var weights = [torchvision(backbones[depth]!, whole: false)]
            if depth == "50" { weights.insert(torchvision("fasterrcnn_resnet50_fpn_coco-258fb6c6.pth", dataset: "COCO 2017"), at: 0) }
            rows.append(Entry(name: ModelName(rawValue: "fasterrcnn_resnet\(depth)_fpn")!, family: "fasterrcnn", tasks: d,
                              library: "torchvision", architecture: "fasterrcnn_resnet\(depth)_fpn", layerGroupCount: 5,
                              summary: "Faster R-CNN, ResNet-\(depth) FPN backbone", weights: weights))
        }
        rows.append(Entry(name: .fasterrcnnMobilenetV3LargeFPN, family: "fasterrcnn", tasks: d, library: "torchvision",
                          architecture: "fasterrcnn_mobilenet_v3_large_fpn", layerGroupCount: 6,
                          summary: "Faster R-CNN, MobileNetV3-Large FPN backbone: the lightest detector, for a CPU",
                          weights: [torchvision("fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth", dataset: "COCO 2017"),
                                    torchvision("mobilenet_v3_large-8738ca79.pth", whole: false)]))
        rows.append(Entry(name: .retinanetResnet50FPN, family: "retinanet", tasks: d, library: "torchvision",
                          architecture: "retinanet_resnet50_fpn", layerGroupCount: 5, summary: "RetinaNet, ResNet-50 FPN backbone",
                          weights: [torchvision("retinanet_resnet50_fpn_coco-eeacb38b.pth", dataset: "COCO 2017"),
                                    torchvision(backbones["50"]!, whole: false)]))
        rows.append(Entry(name: .fcosResnet50FPN, family: "fcos", tasks: d, library: "torchvision",
                          architecture: "fcos_resnet50_fpn", layerGroupCount: 5, summary: "FCOS (anchor-free), ResNet-50 FPN backbone",
                          weights: [torchvision("fcos_resnet50_fpn_coco-99b0c9b7.pth", dataset: "COCO 2017"),
                                    torchvision(backbones["50"]!, whole: false)]))
        rows.append(Entry(name: .yolov5, family: "yolov5", tasks: d, library: "ultralytics", architecture: "yolov5",
                          layerGroupCount: 10, summary: "YOLOv5 v7.0 (model_size small, medium, large, xlarge): Azure's default detector",
                          weights: ["m", "s", "l", "x"].map(ultralytics), needsGPU: true))
        for depth in ["18", "34", "50", "101", "152"] {
            var weights = [torchvision(backbones[depth]!, whole: false)]
            if depth == "50" { weights.insert(torchvision("maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth", dataset: "COCO 2017"), at: 0) }
            rows.append(Entry(name: ModelName(rawValue: "maskrcnn_resnet\(depth)_fpn")!, family: "maskrcnn", tasks: s,
                              library: "torchvision", architecture: "maskrcnn_resnet\(depth)_fpn", layerGroupCount: 5,
                              summary: "Mask R-CNN, ResNet-\(depth) FPN backbone", weights: weights))
        }
        return rows
    }()

    public static func entry(_ name: ModelName) -> Entry {
        entries.first { $0.name == name }!
    }

    /// The models of a task, in order.
    public static func models(for task: ImageTask) -> [ModelName] {
        let family = TaskFamily(task)
        return entries.filter { $0.tasks == family }.map(\.name)
    }

    /// Azure's default model of each task (section 4); where this build lacks it, the nearest it has.
    public static func defaultModel(for task: ImageTask) -> ModelName {
        let azure: ModelName = switch TaskFamily(task) {
        case .classification: .vitb16r224
        case .objectDetection: .yolov5
        case .instanceSegmentation: .maskrcnnResnet50FPN
        }
        if azure.catalogEntry.available { return azure }
        return task == .imageObjectDetection ? .fasterrcnnResnet50FPN : azure
    }

    /// The model AutoMode and the CPU default prefer where the task's default needs a GPU and weights.
    public static func cpuModel(for task: ImageTask) -> ModelName {
        switch TaskFamily(task) {
        case .classification: .resnet18
        case .objectDetection: .fasterrcnnResnet18FPN
        case .instanceSegmentation: .maskrcnnResnet18FPN
        }
    }

    /// AutoMode's models (max_trials > 1 without a search space): those that train within a CPU or
    /// single-GPU budget, from the fastest up.
    public static func autoModeModels(for task: ImageTask) -> [ModelName] {
        switch TaskFamily(task) {
        case .classification: [.mobilenetv2, .resnet18, .resnet50, .seresnext]
        case .objectDetection: [.fasterrcnnResnet18FPN, .fasterrcnnResnet50FPN, .retinanetResnet50FPN]
        case .instanceSegmentation: [.maskrcnnResnet18FPN, .maskrcnnResnet50FPN]
        }
    }
}

/// A model's `model_name` (section 4), for every task.
public enum ModelName: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case mobilenetv2, resnet18, resnet34, resnet50, resnet101, resnet152, resnest50, resnest101, seresnext
    /// ViT-S/16 at 224 (timm reference).
    case vits16r224
    /// ViT-B/16 at 224 (torchvision reference); Azure's default classification model.
    case vitb16r224
    /// ViT-L/16 at 224 (torchvision reference).
    case vitl16r224
    case fasterrcnnResnet18FPN = "fasterrcnn_resnet18_fpn"
    case fasterrcnnResnet34FPN = "fasterrcnn_resnet34_fpn"
    case fasterrcnnResnet50FPN = "fasterrcnn_resnet50_fpn"
    case fasterrcnnResnet101FPN = "fasterrcnn_resnet101_fpn"
    case fasterrcnnResnet152FPN = "fasterrcnn_resnet152_fpn"
    case fasterrcnnMobilenetV3LargeFPN = "fasterrcnn_mobilenet_v3_large_fpn"
    case retinanetResnet50FPN = "retinanet_resnet50_fpn"
    case fcosResnet50FPN = "fcos_resnet50_fpn"
    case yolov5
    case maskrcnnResnet18FPN = "maskrcnn_resnet18_fpn"
    case maskrcnnResnet34FPN = "maskrcnn_resnet34_fpn"
    case maskrcnnResnet50FPN = "maskrcnn_resnet50_fpn"
    case maskrcnnResnet101FPN = "maskrcnn_resnet101_fpn"
    case maskrcnnResnet152FPN = "maskrcnn_resnet152_fpn"

    /// Azure's classification default (kept for the classification code paths).
    public static let defaultModel: ModelName = .vitb16r224

    /// Reads a `model_name` value, ignoring case and surrounding blanks.
    public init?(settingsValue: String) {
        self.init(rawValue: settingsValue.trimmingCharacters(in: .whitespaces).lowercased())
    }

    public var catalogEntry: ModelCatalog.Entry { ModelCatalog.entry(self) }
    public var tasks: ModelCatalog.TaskFamily { catalogEntry.tasks }
    public var family: String { catalogEntry.family }
    public var recipe: any ModelRecipe { catalogEntry.recipe }

    /// Vision transformers: their defaults differ, and their validation crop must equal the training crop.
    public var isViT: Bool { recipe.patchSize != nil }

    /// How many layer groups `layers_to_freeze` can freeze.
    public var freezableLayerGroupCount: Int { catalogEntry.layerGroupCount }

    public var description: String { rawValue }
}
