import Foundation

/// `examples.json` in a classification trial's folder: a few validation images at the best epoch, as
/// thumbnails beside it, with their true and predicted classes, for the report to show. The most confident
/// mistakes come first, then the most confident correct answers (`select`).
public struct ClassificationExamples: Codable, Sendable, Equatable {
    public struct Score: Codable, Sendable, Equatable {
        public var label: Int
        public var score: Double

        public init(label: Int, score: Double) {
            self.label = label
            self.score = score
        }
    }

    public struct Image: Codable, Sendable, Equatable {
        /// The image's name in the dataset.
        public var name: String
        /// The thumbnail's file name, beside `examples.json`.
        public var thumbnail: String
        public var thumbnailWidth: Int
        public var thumbnailHeight: Int
        /// The true class indices (one for multiclass).
        public var truths: [Int]
        /// The decided classes: the argmax (multiclass), or those scoring at least the threshold (multilabel).
        public var predicted: [Int]
        /// The highest scores, best first (at most three).
        public var scores: [Score]
        /// Whether the decision equals the truth.
        public var correct: Bool
        /// How sure the model was: the argmax's probability (multiclass); multilabel, for a mistake the score of
        /// its most confident wrong decision, else that of its least confident right one (1 - p for a "no").
        public var confidence: Double

        public init(name: String, thumbnail: String, thumbnailWidth: Int, thumbnailHeight: Int, truths: [Int],
                    predicted: [Int], scores: [Score], correct: Bool, confidence: Double) {
            self.name = name
            self.thumbnail = thumbnail
            self.thumbnailWidth = thumbnailWidth
            self.thumbnailHeight = thumbnailHeight
            self.truths = truths
            self.predicted = predicted
            self.scores = scores
            self.correct = correct
            self.confidence = confidence
        }

        enum CodingKeys: String, CodingKey {
            case name, thumbnail, thumbnailWidth = "thumbnail_width", thumbnailHeight = "thumbnail_height", truths, predicted
            case scores, correct, confidence
        }
    }

    /// One chosen image, before its thumbnail exists.
    public struct Pick: Sendable, Equatable {
        /// Into the validation images.
        public var index: Int
        public var predicted: [Int]
        public var scores: [Score]
        public var correct: Bool
        public var confidence: Double
    }

    public var images: [Image]

    public init(images: [Image]) {
        self.images = images
    }

    public static let fileName = "examples.json"
    /// How many images the report shows, and how many of them may be mistakes when there are correct ones too.
    public static let count = 8, mistakesAtMost = 6

    /// The images to show: the most confident mistakes first (at most `mistakesAtMost` while correct answers
    /// remain to fill the rest), then the most confident correct answers; `count` in all (fewer when there are
    /// fewer images). Ties keep the validation order.
    /// - Parameters:
    ///   - probabilities: row-major `[truths.count][classCount]` (softmax or sigmoid).
    ///   - threshold: multilabel's decision threshold.
    public static func select(probabilities: [Float], classCount: Int, truths: [[Int]], multilabel: Bool,
                              threshold: Double = 0.5, count: Int = count) -> [Pick] {
        guard classCount > 0, probabilities.count >= truths.count * classCount else { return [] }
        var picks: [Pick] = []
        for (i, truth) in truths.enumerated() {
            let row = probabilities[(i * classCount)..<((i + 1) * classCount)].map(Double.init)
            let ranked = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            let scores = ranked.prefix(3).map { Score(label: $0, score: row[$0]) }
            if multilabel {
                let predicted = row.indices.filter { row[$0] >= threshold }
                let truthSet = Set(truth)
                // Each class's decision and how sure it was: p for a "yes", 1 - p for a "no".
                let decisions = row.indices.map { c in (right: (row[c] >= threshold) == truthSet.contains(c), sure: row[c] >= threshold ? row[c] : 1 - row[c]) }
                let wrong = decisions.filter { !$0.right }.map(\.sure)
                let correct = wrong.isEmpty
                let confidence = correct ? (decisions.map(\.sure).min() ?? 1) : (wrong.max() ?? 0)
                picks.append(Pick(index: i, predicted: predicted, scores: scores, correct: correct, confidence: confidence))
            } else {
                let top = ranked[0]
                picks.append(Pick(index: i, predicted: [top], scores: scores, correct: truth.first == top, confidence: row[top]))
            }
        }
        func bySureness(_ a: Pick, _ b: Pick) -> Bool { a.confidence != b.confidence ? a.confidence > b.confidence : a.index < b.index }
        let mistakes = picks.filter { !$0.correct }.sorted(by: bySureness)
        let right = picks.filter(\.correct).sorted(by: bySureness)
        let mistakeCount = min(mistakes.count, max(min(mistakesAtMost, count), count - right.count))
        return Array(mistakes.prefix(mistakeCount) + right.prefix(count - mistakeCount))
    }

    public func write(to url: URL) throws {
        try ContractCoding.encoder().encode(self).write(to: url, options: .atomic)
    }

    public static func read(from url: URL) throws -> ClassificationExamples {
        try ContractCoding.decoder().decode(ClassificationExamples.self, from: Data(contentsOf: url))
    }
}
