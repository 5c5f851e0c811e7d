import Foundation
import SpoolCore
import SpoolEngine

/// Object detection and instance segmentation with torchvision's detectors (Faster R-CNN, RetinaNet,
/// Mask R-CNN) and Ultralytics' YOLOv5: boxes (and polygons) into the engine, detections out, VOC and COCO
/// mean average precision.
public struct DetectionHead: TaskHead {
    public let task: ImageTask
    public init(task: ImageTask) { self.task = task }

    var segmentation: Bool { task == .imageInstanceSegmentation }

    public func dataset(_ images: [LabeledImage], classes: [String]) throws -> Dataset {
        let dataset = try Dataset(task: segmentation ? .instanceSegmentation : .objectDetection, numClasses: classes.count)
        for image in images {
            let index = try dataset.addImage(image.path)
            for object in image.objects {
                let b = object.box
                let id = try dataset.addObject(image: index, classID: object.classIndex,
                                               box: [Float(b.topX), Float(b.topY), Float(b.bottomX), Float(b.bottomY)],
                                               crowd: object.isCrowd)
                for part in object.polygons { try dataset.addPolygon(image: index, object: id, xy: part.map(Float.init)) }
            }
        }
        return dataset
    }

    /// With `tile_grid_size`, every image whole and in tiles (training: each a sample; prediction: merged per
    /// image by NMS at `tile_predictions_nms_thresh`).
    public func views(of dataset: Dataset, _ p: TrainingParameters) throws -> Dataset {
        guard let grid = p.tileGridSize else { return dataset }
        return try dataset.tiled(columns: grid.columns, rows: grid.rows, overlap: p.tileOverlapRatio,
                                 nmsThreshold: p.tilePredictionsNMSThresh, maxDetections: p.boxDetectionsPerImg)
    }

    public func modelOptions(_ p: TrainingParameters, classes: [String], device: String, pretrained: Bool) -> ModelOptions {
        var o = ModelOptions(name: p.engineModelName, task: segmentation ? .instanceSegmentation : .objectDetection,
                             numClasses: classes.count)
        o.device = device
        let recipe = p.modelName.recipe
        o.boxScoreThreshold = Float(p.boxScoreThresh)
        o.boxNMSThreshold = Float(recipe.nmsThreshold(p))
        o.detectionsPerImage = p.boxDetectionsPerImg
        switch recipe.input(p) {
        case .letterbox(let side, let multiScale):
            // img_size: training side, evaluation letterbox and the loss gains.
            o.imageSize = side
            o.multiScale = multiScale
            return o
        case .resize(let minSize, let maxSize):
            o.minSize = minSize
            o.maxSize = maxSize
        case .crop:
            break
        }
        o.maskPixelScoreThreshold = Float(p.maskPixelScoreThreshold)
        o.maxPolygonPoints = p.maxNumberOfPolygonPoints
        // torchvision: a backbone from ImageNet weights keeps frozen batch norm and trains its top 3 stages;
        // from scratch, everything trains (small detection batches make batch statistics noisy, so the
        // choice follows the reference).
        o.frozenBatchNorm = pretrained
        o.trainableBackboneLayers = pretrained ? 3 : nil
        return o
    }

    public func loaderOptions(_ p: TrainingParameters, train: Bool, seed: UInt64, workers: Int) -> LoaderOptions {
        var o = LoaderOptions()
        o.train = train
        o.batchSize = train ? p.trainingBatchSize : p.validationBatchSize
        o.seed = seed
        o.workers = workers
        o.horizontalFlipProbability = Float(p.augmentationHorizontalFlip)
        o.brightness = Float(p.augmentationBrightness)
        o.contrast = Float(p.augmentationContrast)
        o.saturation = Float(p.augmentationSaturation)
        o.hue = Float(p.augmentationHue)
        o.expandProbability = Float(p.augmentationExpand)
        o.cropProbability = Float(p.augmentationCrop)
        o.photometricProbability = Float(p.augmentationPhotometric)
        switch p.modelName.recipe.input(p) {
        case .letterbox(let side, _): o.input = .letterbox(side: side)
        case .resize: o.input = .resize
        case .crop: o.input = .crop
        }
        if case .letterbox = p.modelName.recipe.input(p), train {
            // Two batches ahead keep the step fed (a mosaic costs ~10 ms); each held batch is img_size^2 x 12 bytes
            // an image (4.9 MB at 640), so four ahead would hold ~80 MB for nothing.
            o.prefetch = 2
            o.mosaicProbability = Float(p.augmentationMosaic)
            o.degrees = Float(p.augmentationDegrees)
            o.translate = Float(p.augmentationTranslate)
            o.affineScale = Float(p.augmentationScale)
            o.shear = Float(p.augmentationShear)
            o.hsvHue = Float(p.augmentationHSVHue)
            o.hsvSaturation = Float(p.augmentationHSVSaturation)
            o.hsvValue = Float(p.augmentationHSVValue)
        }
        return o
    }

    public func evaluate(_ prediction: Prediction, images: [LabeledImage], classes: [String],
                         parameters p: TrainingParameters) throws -> TaskReport {
        var evaluation: [EvaluationImage] = []
        for (i, image) in images.enumerated() {
            let (detections, width, height) = try prediction.detections(image: i)
            let w = Double(width), h = Double(height)
            func pixels(_ b: [Double]) -> [Double] { [b[0] * w, b[1] * h, b[2] * w, b[3] * h] }
            let truths = image.objects.map { o in
                EvaluationImage.Box(box: pixels([o.box.topX, o.box.topY, o.box.bottomX, o.box.bottomY]), label: o.classIndex,
                                    isCrowd: o.isCrowd)
            }
            // Azure drops detections under box_score_thresh before the metrics.
            let keptIndices = detections.indices.filter { Double(detections[$0].score) >= p.boxScoreThresh }
            let kept = keptIndices.map { k in
                let d = detections[k]
                return EvaluationImage.Box(box: pixels(d.box.map(Double.init)), label: d.label, score: Double(d.score))
            }
            guard segmentation else {
                evaluation.append(EvaluationImage(width: w, height: h, truths: truths, detections: kept))
                continue
            }
            // Masks: the true polygons rasterised at the image's size, the predicted masks as the model thresholds them.
            let truthMasks = try image.objects.map { o in
                let parts = o.polygons.map { part in part.enumerated().map { Float($0.element * ($0.offset % 2 == 0 ? w : h)) } }
                return RunLengthMask(mask: try Masks.rasterize(parts, height: height, width: width), height: height, width: width)
            }
            let detectionMasks = try keptIndices.map { k in
                RunLengthMask(height: height, width: width, counts: try prediction.maskRLE(image: i, detection: k))
            }
            evaluation.append(EvaluationImage(width: w, height: h, truths: truths, truthMasks: truthMasks, detections: kept,
                                              detectionMasks: detectionMasks))
        }
        return .detection(DetectionMetrics.evaluate(task: task, images: evaluation, classes: classes,
                                                    metricType: p.validationMetricType.rawValue,
                                                    iouThreshold: p.validationIoUThreshold,
                                                    iouType: segmentation ? "segm" : "bbox"))
    }

    public func manifest(_ p: TrainingParameters, classes: [String], primaryMetric: ModelManifest.PrimaryMetric?,
                         source: String) -> ModelManifest {
        var manifest = ModelManifest(task: task, modelName: p.modelName, classes: classes,
                                     preprocessing: .init(validResizeSize: p.minSize, validCropSize: p.maxSize,
                                                          mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]),
                                     imageSize: p.minSize, primaryMetric: primaryMetric, source: source)
        manifest.detection = .init(p, segmentation: segmentation)
        if case .letterbox(let side, _) = p.modelName.recipe.input(p) { manifest.imageSize = side }
        if p.modelName.catalogEntry.engineModels.count > 1 { manifest.architecture?.name = p.engineModelName }
        return manifest
    }

    public func modelOptions(_ manifest: ModelManifest, weights: URL, device: String) -> ModelOptions {
        var o = ModelOptions(name: manifest.engineModelName, task: segmentation ? .instanceSegmentation : .objectDetection,
                             numClasses: manifest.classes.count)
        o.device = device
        o.imageSize = manifest.imageSize
        guard let d = manifest.detection else { return o }
        o.minSize = d.minSize
        o.maxSize = d.maxSize
        o.boxScoreThreshold = Float(d.boxScoreThresh)
        o.boxNMSThreshold = Float(d.boxNMSThresh)
        o.detectionsPerImage = d.boxDetectionsPerImg
        o.frozenBatchNorm = Self.hasFrozenBatchNorm(weights)
        if let side = d.imgSize { o.imageSize = side }  // a letterbox side (its anchors load with the weights)
        if let threshold = d.maskPixelScoreThreshold { o.maskPixelScoreThreshold = Float(threshold) }
        if let points = d.maxNumberOfPolygonPoints { o.maxPolygonPoints = points }
        return o
    }

    /// A detector saved with FrozenBatchNorm2d has batch-norm statistics but no `num_batches_tracked` in its
    /// backbone's body (whatever the body: ResNet's `bn1`, MobileNetV3's numbered blocks): build it the same way.
    public static func hasFrozenBatchNorm(_ weights: URL) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: weights.path) else { return false }
        defer { try? handle.close() }
        guard let lengthBytes = try? handle.read(upToCount: 8), lengthBytes.count == 8 else { return false }
        let length = lengthBytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
        guard length < 100_000_000, let header = try? handle.read(upToCount: Int(length)),
              let tensors = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else { return false }
        let body = tensors.keys.filter { $0.hasPrefix("backbone.body.") }
        return body.contains { $0.hasSuffix("running_var") } && !body.contains { $0.hasSuffix("num_batches_tracked") }
    }

    public func unlabelled(_ path: String) -> LabeledImage {
        LabeledImage(path: path, labels: [])
    }

    /// Tiled inference: model.json's tile settings (as trained, or switched on for inference only).
    public func views(of dataset: Dataset, _ manifest: ModelManifest) throws -> Dataset {
        guard let d = manifest.detection, let grid = d.tileGridSize else { return dataset }
        return try dataset.tiled(columns: grid.columns, rows: grid.rows, overlap: d.tileOverlapRatio,
                                 nmsThreshold: d.tilePredictionsNMSThresh, maxDetections: d.boxDetectionsPerImg)
    }

    public func responses(model: Model, loader: ImageLoader, paths: [String], classes: [String], top: Int?) throws -> [ScoringResponse] {
        let prediction = try Prediction(model: model, loader: loader)
        return try paths.enumerated().map { i, path in
            let detections = try prediction.detections(image: i).detections
            return ScoringResponse(filename: path, boxes: try detections.enumerated().map { k, d in
                // Segmentation: the mask above mask_pixel_score_threshold as polygons, every part kept.
                let polygon = segmentation ? try prediction.polygons(image: i, detection: k).map { $0.map(Double.init) } : nil
                return ScoringResponse.ScoredBox(box: .init(topX: Double(d.box[0]), topY: Double(d.box[1]),
                                                            bottomX: Double(d.box[2]), bottomY: Double(d.box[3])),
                                                 label: classes[d.label], score: Double(d.score), polygon: polygon)
            })
        }
    }

    /// How many validation images the report draws, and their thumbnails' longer side.
    static let exampleCount = 6, thumbnailSide = 256

    /// `examples.json` and `example_N.png` thumbnails: the validation images with the most errors first (true
    /// objects no prediction found plus predictions that match no object, at validation_iou_threshold), with
    /// their true boxes and the predictions the metrics counted (score at least box_score_thresh), normalised.
    public func writeExamples(_ prediction: Prediction, images: [LabeledImage], parameters p: TrainingParameters, to folder: URL) throws {
        var errors: [Int] = []
        for i in images.indices.prefix(prediction.count) {
            let kept = try prediction.detections(image: i).detections.filter { Double($0.score) >= p.boxScoreThresh }
            let truths = images[i].objects.filter { !$0.isCrowd }.map { o in
                (label: o.classIndex, box: [o.box.topX, o.box.topY, o.box.bottomX, o.box.bottomY])
            }
            errors.append(Self.matchErrors(truths: truths, predictions: kept.map { (label: $0.label, box: $0.box.map(Double.init)) },
                                           iouThreshold: p.validationIoUThreshold))
        }
        let order = errors.indices.sorted { errors[$0] != errors[$1] ? errors[$0] > errors[$1] : $0 < $1 }
        var out: [DetectionExamples.Image] = []
        for (n, i) in order.prefix(Self.exampleCount).enumerated() {
            let image = images[i]
            let detections = try prediction.detections(image: i).detections
            let name = "example_\(n).png"
            let size = try ImageLoader.thumbnail(path: image.path, to: folder.appendingPathComponent(name).path, maxSide: Self.thumbnailSide)
            let truths = image.objects.map { o in
                DetectionExamples.Box(box: [o.box.topX, o.box.topY, o.box.bottomX, o.box.bottomY], label: o.classIndex, score: 1,
                                      polygon: segmentation ? o.polygons : nil)
            }
            let kept = try detections.indices.filter { Double(detections[$0].score) >= p.boxScoreThresh }.map { k in
                let d = detections[k]
                let polygon = segmentation ? try prediction.polygons(image: i, detection: k).map { $0.map(Double.init) } : nil
                return DetectionExamples.Box(box: d.box.map(Double.init), label: d.label, score: Double(d.score), polygon: polygon)
            }
            out.append(.init(name: URL(fileURLWithPath: image.path).lastPathComponent, thumbnail: name, thumbnailWidth: size.width, thumbnailHeight: size.height,
                             truths: truths, predictions: kept))
        }
        try DetectionExamples(images: out).write(to: folder.appendingPathComponent(DetectionExamples.fileName))
    }

    /// True objects left unmatched plus predictions matching no object: each prediction, best first as the
    /// engine orders them, takes the unmatched object of its label it overlaps most, at IoU >= the threshold.
    static func matchErrors(truths: [(label: Int, box: [Double])], predictions: [(label: Int, box: [Double])],
                            iouThreshold: Double) -> Int {
        func iou(_ a: [Double], _ b: [Double]) -> Double {
            guard a.count == 4, b.count == 4 else { return 0 }
            let w = max(0, min(a[2], b[2]) - max(a[0], b[0])), h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
            let inter = w * h
            let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            return union > 0 ? inter / union : 0
        }
        var matched = Set<Int>()
        var falsePositives = 0
        for prediction in predictions {
            let candidates = truths.indices.filter { !matched.contains($0) && truths[$0].label == prediction.label }
            if let best = candidates.max(by: { iou(truths[$0].box, prediction.box) < iou(truths[$1].box, prediction.box) }),
               iou(truths[best].box, prediction.box) >= iouThreshold {
                matched.insert(best)
            } else {
                falsePositives += 1
            }
        }
        return falsePositives + truths.count - matched.count
    }
}
