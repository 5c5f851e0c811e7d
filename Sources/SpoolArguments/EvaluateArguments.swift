import ArgumentParser

/// `evaluate`'s arguments, parsed by both executables.
public struct EvaluateArguments: ParsableArguments {
    public static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "The metrics of a model folder on labelled images (a JSONL file, or a bundle's validation split).",
        discussion: """
            Prints the primary metric and a table per class (precision, recall, F1 and count; for \
            detection, average precision, precision, recall and count of objects); --json prints the whole \
            report as JSON instead (per class or per label, curves included). --predictions FILE also writes \
            each image's prediction as a JSONL line, in the scoring format. For a detector, \
            --box-score-thresh, --box-iou-thresh and --max-detections replace model.json's thresholds.

            Examples:
              spoolctl evaluate --model spool/outbox/JOB/model labelled.jsonl
              spoolctl evaluate --model runs/shapes/model --bundle examples/shapes
              spoolctl evaluate --model m test.jsonl --predictions preds.jsonl
              spoolctl evaluate --model m test.jsonl --box-score-thresh 0.05 --json
            """)

    @Option(help: "A model folder (model.json + weights.safetensors).")
    public var model: String

    @Argument(help: "A labelled JSONL file in Azure's schema (its images beside it, or under images/).")
    public var data: String?

    @Option(help: "A bundle folder: its validation set, split as training splits it.")
    public var bundle: String?

    @Option(help: "Also write every image's prediction to this JSONL file.")
    public var predictions: String?

    @Flag(help: "Replace the --predictions file if it exists.")
    public var force = false

    @Option(help: "The bundle split's seed (default: the bundle's training_parameters.seed, else 0).")
    public var seed: UInt64?

    @Option(help: "cpu, cuda or cuda:N.")
    public var device: String = "cpu"

    @Option(help: "Threads (default: every core).")
    public var threads: Int?

    @Flag(help: "Print the whole report as JSON (an EvaluationDocument) instead of the table.")
    public var json = false

    @OptionGroup public var tileGrid: TileGridOption

    @OptionGroup public var thresholds: DetectionThresholdOptions

    public init() {}

    public func validate() throws {
        if (data == nil) == (bundle == nil) {
            throw ValidationError("give exactly one of DATA (a labelled JSONL file) and --bundle")
        }
    }
}
