import Foundation

/// The evaluation of a detector (or a segmenter's boxes or masks) on a validation set (section 9), as
/// written to `metrics.json`: VOC mean average precision (all-point interpolation at one IoU threshold),
/// COCO's twelve numbers (pycocotools' algorithm: 101 recall points, IoU 0.50:0.05:0.95, areas, max
/// detections), and per label its AP, precision and recall. Crowd objects count neither as found nor as
/// missed, and a detection on a crowd region is neither true nor false.
public struct DetectionMetrics: Sendable, Hashable, Codable {
    public var task: ImageTask
    /// `mean_average_precision`.
    public var primaryMetric: String
    public var primaryMetricValue: Double
    /// `voc`, `coco`, `coco_voc` or `none` (`validation_metric_type`).
    public var metricType: String
    /// `validation_iou_threshold`.
    public var iouThreshold: Double
    /// What the boxes are: `bbox`, or `segm` for a segmenter's masks.
    public var iouType: String
    public var imageCount: Int
    public var classNames: [String]
    /// VOC mAP at `iouThreshold` over the labels that occur.
    public var vocMeanAveragePrecision: Double?
    /// COCO's twelve numbers in pycocotools' order (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs,
    /// ARm, ARl); -1 where undefined, as pycocotools says.
    public var cocoStats: [Double]?
    /// Precision and recall of every detection kept, at `iouThreshold`.
    public var precision: Double
    public var recall: Double
    public var perLabel: [LabelScores]
    /// Segmentation: the same evaluation of the boxes beside the masks' (VOC mAP and COCO's twelve numbers).
    public var boxVocMeanAveragePrecision: Double?
    public var boxCocoStats: [Double]?

    public struct LabelScores: Sendable, Hashable, Codable {
        public var name: String
        /// VOC AP at the IoU threshold; nil when the label never occurs (no object to find).
        public var averagePrecision: Double?
        /// COCO AP (0.50:0.95) of the label; nil when it never occurs.
        public var cocoAveragePrecision: Double?
        public var precision: Double
        public var recall: Double
        /// Objects of the label, crowd objects aside.
        public var support: Int
        public var detections: Int
        /// At most a few dozen points, for the report.
        public var precisionRecallCurve: [ClassificationMetrics.PrecisionRecallPoint]

        enum CodingKeys: String, CodingKey {
            case name, precision, recall, support, detections
            case averagePrecision = "average_precision", cocoAveragePrecision = "coco_average_precision"
            case precisionRecallCurve = "precision_recall_curve"
        }
    }

    enum CodingKeys: String, CodingKey {
        case task, primaryMetric = "primary_metric", primaryMetricValue = "primary_metric_value"
        case metricType = "metric_type", iouThreshold = "iou_threshold", iouType = "iou_type"
        case imageCount = "image_count", classNames = "class_names"
        case vocMeanAveragePrecision = "voc_mean_average_precision", cocoStats = "coco_stats"
        case precision, recall, perLabel = "per_label"
        case boxVocMeanAveragePrecision = "box_voc_mean_average_precision", boxCocoStats = "box_coco_stats"
    }

    /// The twelve names of `cocoStats`.
    public static let cocoStatNames = [
        "coco_map", "coco_map_50", "coco_map_75", "coco_map_small", "coco_map_medium", "coco_map_large",
        "coco_mar_1", "coco_mar_10", "coco_mar_100", "coco_mar_small", "coco_mar_medium", "coco_mar_large",
    ]

    /// Every scalar metric, as the per-epoch history keeps them.
    public var scalarMetrics: [String: Double] {
        var out: [String: Double] = ["mean_average_precision": primaryMetricValue, "precision": precision, "recall": recall]
        if let vocMeanAveragePrecision { out["voc_map"] = vocMeanAveragePrecision }
        if let cocoStats {
            for (name, value) in zip(Self.cocoStatNames, cocoStats) where value >= 0 { out[name] = value }
        }
        if let boxVocMeanAveragePrecision { out["box_voc_map"] = boxVocMeanAveragePrecision }
        if let boxCocoStats {
            for (name, value) in zip(Self.cocoStatNames, boxCocoStats) where value >= 0 { out["box_" + name] = value }
        }
        return out
    }
}

/// One image of an evaluation: its size in pixels, its objects and its detections, in pixels.
public struct EvaluationImage: Sendable {
    public struct Box: Sendable {
        /// x1, y1, x2, y2 in pixels.
        public var box: [Double]
        public var label: Int
        public var score: Double
        public var isCrowd: Bool
        /// For masks (`segm`): the area, and the IoU comes from `maskIoU`.
        public var area: Double?

        public init(box: [Double], label: Int, score: Double = 1, isCrowd: Bool = false, area: Double? = nil) {
            self.box = box
            self.label = label
            self.score = score
            self.isCrowd = isCrowd
            self.area = area
        }
    }

    public var width: Double
    public var height: Double
    public var truths: [Box]
    public var detections: [Box]
    /// Segmentation: IoU of detection i with truth j, crowd truths as intersection over the detection's area
    /// (as pycocotools' mask IoU). Nil for boxes.
    public var maskIoU: (@Sendable ([Int], [Int]) -> [[Double]])?

    public init(width: Double, height: Double, truths: [Box], detections: [Box]) {
        self.width = width
        self.height = height
        self.truths = truths
        self.detections = detections
    }

    /// Segmentation: boxes with their masks (one per box, at the image's size); the masks give the areas and
    /// the IoUs (`segm`), the boxes remain for the box metrics.
    public init(width: Double, height: Double, truths: [Box], truthMasks: [RunLengthMask], detections: [Box],
                detectionMasks: [RunLengthMask]) {
        precondition(truths.count == truthMasks.count && detections.count == detectionMasks.count, "one mask per box")
        var truths = truths, detections = detections
        for k in truths.indices { truths[k].area = Double(truthMasks[k].area) }
        for k in detections.indices { detections[k].area = Double(detectionMasks[k].area) }
        self.init(width: width, height: height, truths: truths, detections: detections)
        let crowd = truths.map(\.isCrowd)
        maskIoU = { d, t in d.map { i in t.map { j in detectionMasks[i].iou(truth: truthMasks[j], crowd: crowd[j]) } } }
    }

    /// The same image judged by its boxes alone.
    var boxesOnly: EvaluationImage {
        func strip(_ b: Box) -> Box { var b = b; b.area = nil; return b }
        return EvaluationImage(width: width, height: height, truths: truths.map(strip), detections: detections.map(strip))
    }
}

extension DetectionMetrics {
    /// Computes the metrics of `images` for `classes` (label indices into it).
    public static func evaluate(task: ImageTask, images: [EvaluationImage], classes: [String], metricType: String = "voc",
                                iouThreshold: Double = 0.5, iouType: String = "bbox") -> DetectionMetrics {
        let voc = VOCEvaluation(images: images, classes: classes.count, iouThreshold: iouThreshold)
        let wantsCOCO = metricType == "coco" || metricType == "coco_voc"
        let coco = wantsCOCO ? COCOEvaluation(images: images, classes: classes.count) : nil
        let primary: Double = metricType == "coco" ? max(0, coco?.stats[0] ?? 0) : voc.meanAP
        let perLabel = classes.indices.map { c in
            LabelScores(name: classes[c], averagePrecision: voc.ap[c], cocoAveragePrecision: coco?.perClassAP[c],
                        precision: voc.precision[c], recall: voc.recall[c], support: voc.support[c],
                        detections: voc.detections[c], precisionRecallCurve: voc.curves[c])
        }
        var metrics = DetectionMetrics(task: task, primaryMetric: task.primaryMetric, primaryMetricValue: primary,
                                       metricType: metricType, iouThreshold: iouThreshold, iouType: iouType,
                                       imageCount: images.count, classNames: classes, vocMeanAveragePrecision: voc.meanAP,
                                       cocoStats: coco?.stats, precision: voc.totalPrecision, recall: voc.totalRecall,
                                       perLabel: perLabel)
        if iouType == "segm" {
            let boxes = images.map(\.boxesOnly)
            metrics.boxVocMeanAveragePrecision = VOCEvaluation(images: boxes, classes: classes.count, iouThreshold: iouThreshold).meanAP
            metrics.boxCocoStats = wantsCOCO ? COCOEvaluation(images: boxes, classes: classes.count).stats : nil
        }
        return metrics
    }

    /// IoU of two boxes (x1, y1, x2, y2); with `crowd`, intersection over the first box's area.
    static func iou(_ a: [Double], _ b: [Double], crowd: Bool) -> Double {
        let iw = min(a[2], b[2]) - max(a[0], b[0]), ih = min(a[3], b[3]) - max(a[1], b[1])
        guard iw > 0, ih > 0 else { return 0 }
        let inter = iw * ih
        let areaA = (a[2] - a[0]) * (a[3] - a[1]), areaB = (b[2] - b[0]) * (b[3] - b[1])
        let union = crowd ? areaA : areaA + areaB - inter
        return union > 0 ? inter / union : 0
    }

    /// IoU of every detection (rows) with every truth (columns) of one image and label.
    static func ious(_ image: EvaluationImage, detections: [Int], truths: [Int]) -> [[Double]] {
        if let maskIoU = image.maskIoU { return maskIoU(detections, truths) }
        return detections.map { d in
            truths.map { t in iou(image.detections[d].box, image.truths[t].box, crowd: image.truths[t].isCrowd) }
        }
    }
}

/// Pascal VOC's evaluation (devkit 2010+: all-point interpolated AP), crowd objects as VOC's "difficult".
struct VOCEvaluation {
    var ap: [Double?]
    var precision: [Double], recall: [Double]
    var support: [Int], detections: [Int]
    var curves: [[ClassificationMetrics.PrecisionRecallPoint]]
    var meanAP: Double
    var totalPrecision: Double, totalRecall: Double

    init(images: [EvaluationImage], classes: Int, iouThreshold: Double) {
        ap = Array(repeating: nil, count: classes)
        precision = Array(repeating: 0, count: classes)
        recall = Array(repeating: 0, count: classes)
        support = Array(repeating: 0, count: classes)
        detections = Array(repeating: 0, count: classes)
        curves = Array(repeating: [], count: classes)
        var allTP = 0, allFP = 0, allPositives = 0
        for c in 0..<classes {
            var positives = 0
            var scored: [(score: Double, image: Int, detection: Int)] = []
            for (i, image) in images.enumerated() {
                positives += image.truths.filter { $0.label == c && !$0.isCrowd }.count
                for (d, det) in image.detections.enumerated() where det.label == c { scored.append((det.score, i, d)) }
            }
            // Stable: equal scores keep image order, as numpy's argsort(-score, kind="mergesort") would.
            let order = scored.enumerated().sorted { $0.element.score > $1.element.score || ($0.element.score == $1.element.score && $0.offset < $1.offset) }.map(\.element)
            var matched: [Int: Set<Int>] = [:]
            var tp: [Double] = [], fp: [Double] = []
            for entry in order {
                let image = images[entry.image]
                let truths = image.truths.indices.filter { image.truths[$0].label == c }
                var best = -1.0, bestTruth = -1
                if !truths.isEmpty {
                    let row = DetectionMetrics.ious(image, detections: [entry.detection], truths: truths)[0]
                    for (k, value) in row.enumerated() where value > best {
                        best = value
                        bestTruth = truths[k]
                    }
                }
                if best >= iouThreshold, bestTruth >= 0 {
                    if image.truths[bestTruth].isCrowd { continue }  // "difficult": neither true nor false
                    if matched[entry.image, default: []].contains(bestTruth) {
                        tp.append(0); fp.append(1)
                    } else {
                        matched[entry.image, default: []].insert(bestTruth)
                        tp.append(1); fp.append(0)
                    }
                } else {
                    tp.append(0); fp.append(1)
                }
            }
            support[c] = positives
            detections[c] = tp.count
            let tpSum = tp.reduce(0, +), fpSum = fp.reduce(0, +)
            allTP += Int(tpSum); allFP += Int(fpSum); allPositives += positives
            precision[c] = tpSum + fpSum > 0 ? tpSum / (tpSum + fpSum) : 0
            recall[c] = positives > 0 ? tpSum / Double(positives) : 0
            guard positives > 0 else { continue }
            var cumTP = 0.0, cumFP = 0.0
            var rec: [Double] = [], prec: [Double] = []
            for k in tp.indices {
                cumTP += tp[k]; cumFP += fp[k]
                rec.append(cumTP / Double(positives))
                prec.append(cumTP / max(cumTP + cumFP, Double.leastNonzeroMagnitude))
            }
            ap[c] = Self.allPointAP(recall: rec, precision: prec)
            let step = max(1, rec.count / 40)
            curves[c] = stride(from: 0, to: rec.count, by: step).map { ClassificationMetrics.PrecisionRecallPoint(threshold: order[$0].score, recall: rec[$0], precision: prec[$0]) }
        }
        let defined = ap.compactMap { $0 }
        meanAP = defined.isEmpty ? 0 : defined.reduce(0, +) / Double(defined.count)
        totalPrecision = allTP + allFP > 0 ? Double(allTP) / Double(allTP + allFP) : 0
        totalRecall = allPositives > 0 ? Double(allTP) / Double(allPositives) : 0
    }

    /// The VOC devkit's `voc_ap(use_07_metric=False)`: the area under the precision envelope.
    static func allPointAP(recall: [Double], precision: [Double]) -> Double {
        let mrec = [0.0] + recall + [1.0]
        var mpre = [0.0] + precision + [0.0]
        for i in stride(from: mpre.count - 1, to: 0, by: -1) { mpre[i - 1] = max(mpre[i - 1], mpre[i]) }
        var ap = 0.0
        for i in 1..<mrec.count where mrec[i] != mrec[i - 1] { ap += (mrec[i] - mrec[i - 1]) * mpre[i] }
        return ap
    }
}

/// pycocotools' COCOeval (evaluate, accumulate, summarize), for boxes or masks.
struct COCOEvaluation {
    var stats: [Double]
    var perClassAP: [Double?]

    /// numpy's `linspace(start, stop, count)` to the last bit (pycocotools' thresholds): `i * step + start`, the
    /// last exactly `stop`. Mask IoUs are ratios of pixel counts and can equal a threshold exactly, so 0.7 and
    /// `4 * 0.049999999999999996 + 0.5` must not be told apart differently from the reference.
    static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        let step = (stop - start) / Double(count - 1)
        return (0..<count).map { $0 == count - 1 ? stop : Double($0) * step + start }
    }

    static let iouThresholds = linspace(0.5, 0.95, 10)
    static let recallThresholds = linspace(0, 1, 101)
    static let areaRanges: [(Double, Double)] = [(0, 1e10), (0, 32 * 32), (32 * 32, 96 * 96), (96 * 96, 1e10)]
    static let maxDets = [1, 10, 100]

    /// One image and class: pycocotools' `evaluateImg` for every area range (maxDet 100).
    struct ImageResult {
        var scores: [Double]
        /// [iou threshold][detection]: matched to a truth.
        var matched: [[Bool]]
        var detectionIgnored: [[Bool]]
        var truthIgnored: [Bool]
    }

    init(images: [EvaluationImage], classes: Int) {
        let T = Self.iouThresholds.count, R = Self.recallThresholds.count, A = Self.areaRanges.count, M = Self.maxDets.count
        // precision[t][r][k][a][m] and recall[t][k][a][m], -1 where undefined.
        var precision = Array(repeating: Array(repeating: Array(repeating: Array(repeating: Array(repeating: -1.0, count: M), count: A), count: classes), count: R), count: T)
        var recall = Array(repeating: Array(repeating: Array(repeating: Array(repeating: -1.0, count: M), count: A), count: classes), count: T)
        for k in 0..<classes {
            for (a, range) in Self.areaRanges.enumerated() {
                let results = images.compactMap { Self.evaluateImage($0, label: k, range: range, maxDet: Self.maxDets.last!) }
                for (m, maxDet) in Self.maxDets.enumerated() {
                    var entries: [(score: Double, matched: [Bool], ignored: [Bool])] = []
                    var npig = 0
                    for r in results {
                        npig += r.truthIgnored.filter { !$0 }.count
                        for d in 0..<min(maxDet, r.scores.count) {
                            entries.append((r.scores[d], (0..<T).map { r.matched[$0][d] }, (0..<T).map { r.detectionIgnored[$0][d] }))
                        }
                    }
                    guard npig > 0 else { continue }
                    // numpy's argsort(-scores, kind="mergesort"): stable.
                    let order = entries.indices.sorted { entries[$0].score > entries[$1].score || (entries[$0].score == entries[$1].score && $0 < $1) }
                    for t in 0..<T {
                        var tp = 0.0, fp = 0.0
                        var rc: [Double] = [], pr: [Double] = []
                        for i in order {
                            let e = entries[i]
                            let isTP = e.matched[t] && !e.ignored[t], isFP = !e.matched[t] && !e.ignored[t]
                            if isTP { tp += 1 }
                            if isFP { fp += 1 }
                            rc.append(tp / Double(npig))
                            pr.append(tp / (fp + tp + Double.ulpOfOne))
                        }
                        recall[t][k][a][m] = rc.last ?? 0
                        for i in stride(from: pr.count - 1, to: 0, by: -1) where pr[i] > pr[i - 1] { pr[i - 1] = pr[i] }
                        for (ri, threshold) in Self.recallThresholds.enumerated() {
                            // searchsorted(rc, threshold, side="left")
                            var lo = 0, hi = rc.count
                            while lo < hi {
                                let mid = (lo + hi) / 2
                                if rc[mid] < threshold { lo = mid + 1 } else { hi = mid }
                            }
                            precision[t][ri][k][a][m] = lo < pr.count ? pr[lo] : 0
                        }
                    }
                }
            }
        }
        func meanAP(iou: Double? = nil, area: Int, maxDet: Int, classes ks: [Int]? = nil) -> Double {
            let ts = iou.map { v in Self.iouThresholds.indices.filter { abs(Self.iouThresholds[$0] - v) < 1e-9 } } ?? Array(0..<T)
            var values: [Double] = []
            for t in ts { for r in 0..<R { for k in ks ?? Array(0..<classes) where precision[t][r][k][area][maxDet] > -1 { values.append(precision[t][r][k][area][maxDet]) } } }
            return values.isEmpty ? -1 : values.reduce(0, +) / Double(values.count)
        }
        func meanAR(area: Int, maxDet: Int) -> Double {
            var values: [Double] = []
            for t in 0..<T { for k in 0..<classes where recall[t][k][area][maxDet] > -1 { values.append(recall[t][k][area][maxDet]) } }
            return values.isEmpty ? -1 : values.reduce(0, +) / Double(values.count)
        }
        stats = [meanAP(area: 0, maxDet: 2), meanAP(iou: 0.5, area: 0, maxDet: 2), meanAP(iou: 0.75, area: 0, maxDet: 2),
                 meanAP(area: 1, maxDet: 2), meanAP(area: 2, maxDet: 2), meanAP(area: 3, maxDet: 2),
                 meanAR(area: 0, maxDet: 0), meanAR(area: 0, maxDet: 1), meanAR(area: 0, maxDet: 2),
                 meanAR(area: 1, maxDet: 2), meanAR(area: 2, maxDet: 2), meanAR(area: 3, maxDet: 2)]
        perClassAP = (0..<classes).map { k in
            let v = meanAP(area: 0, maxDet: 2, classes: [k])
            return v < 0 ? nil : v
        }
    }

    /// pycocotools' `evaluateImg` for one image, class and area range (the detections sorted by score, at most
    /// `maxDet`); nil when the image has neither truths nor detections of the class.
    static func evaluateImage(_ image: EvaluationImage, label: Int, range: (Double, Double), maxDet: Int) -> ImageResult? {
        let truthIndex = image.truths.indices.filter { image.truths[$0].label == label }
        let detectionIndex = image.detections.indices.filter { image.detections[$0].label == label }
        if truthIndex.isEmpty && detectionIndex.isEmpty { return nil }
        func area(_ b: EvaluationImage.Box) -> Double { b.area ?? (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]) }
        let truthIgnoredRaw = truthIndex.map { i -> Bool in
            let t = image.truths[i]
            return t.isCrowd || area(t) < range.0 || area(t) > range.1
        }
        // Truths not ignored first (stable), detections by score (stable), at most maxDet.
        let truthOrder = truthIndex.indices.sorted { (truthIgnoredRaw[$0] ? 1 : 0, $0) < (truthIgnoredRaw[$1] ? 1 : 0, $1) }
        let truths = truthOrder.map { truthIndex[$0] }
        let truthIgnored = truthOrder.map { truthIgnoredRaw[$0] }
        let detections = Array(detectionIndex.enumerated().sorted {
            image.detections[$0.element].score > image.detections[$1.element].score
                || (image.detections[$0.element].score == image.detections[$1.element].score && $0.offset < $1.offset)
        }.map(\.element).prefix(maxDet))
        let ious = DetectionMetrics.ious(image, detections: detections, truths: truths)
        let T = iouThresholds.count
        var matched = Array(repeating: Array(repeating: false, count: detections.count), count: T)
        var detectionIgnored = Array(repeating: Array(repeating: false, count: detections.count), count: T)
        var truthMatched = Array(repeating: Array(repeating: false, count: truths.count), count: T)
        for (t, threshold) in iouThresholds.enumerated() {
            for d in detections.indices {
                var best = min(threshold, 1 - 1e-10)
                var m = -1
                for g in truths.indices {
                    if truthMatched[t][g] && !image.truths[truths[g]].isCrowd { continue }
                    if m > -1 && !truthIgnored[m] && truthIgnored[g] { break }
                    if ious[d][g] < best { continue }
                    best = ious[d][g]
                    m = g
                }
                guard m > -1 else { continue }
                detectionIgnored[t][d] = truthIgnored[m]
                matched[t][d] = true
                truthMatched[t][m] = true
            }
        }
        for (d, index) in detections.enumerated() {
            let a = area(image.detections[index])
            if a < range.0 || a > range.1 {
                for t in 0..<T where !matched[t][d] { detectionIgnored[t][d] = true }
            }
        }
        return ImageResult(scores: detections.map { image.detections[$0].score }, matched: matched,
                           detectionIgnored: detectionIgnored, truthIgnored: truthIgnored)
    }
}
