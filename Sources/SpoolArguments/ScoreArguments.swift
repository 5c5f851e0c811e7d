import ArgumentParser

/// `spoolctl score`: batch scoring of many images (parsed in spoolctl, run in spool-trainer).
public struct ScoreArguments: ParsableArguments {
    public static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score many images with a model folder: files, folders, globs or a JSONL of image_url.",
        discussion: """
        Folders are searched recursively for images (jpg, jpeg, png, bmp, tif, tiff, webp); a .jsonl input \
        names images by image_url, relative to its own folder. Each image gets Azure's scoring output \
        {"filename", "probs", "labels"}; an image that cannot be decoded gets {"filename", "error"} and the \
        others are still scored. Progress and throughput go to standard error. For a detector, \
        --box-score-thresh, --box-iou-thresh and --max-detections replace model.json's thresholds for this run.

        Examples:
          spoolctl score --model spool/outbox/JOB/model photos/ --jsonl scores.jsonl
          spoolctl score --model runs/shapes/model 'shapes/images/*.png' --json
        """)

    @Option(help: "A model folder (model.json + weights.safetensors).")
    public var model: String

    @Argument(help: "Image files, folders, globs, or .jsonl files with image_url.")
    public var inputs: [String]

    @Flag(help: "Print one JSON list of every image's scores.")
    public var json = false

    @Option(help: "Write one JSON line per image to this file.")
    public var jsonl: String?

    @Flag(help: "Replace the --jsonl file if it exists.")
    public var force = false

    @Option(help: "Only the K most probable classes per image.")
    public var top: Int?

    @Option(help: "cpu, cuda or cuda:N.")
    public var device: String = "cpu"

    @Option(name: .customLong("batch-size"), help: "Images per forward pass.")
    public var batchSize: Int = 32

    @Option(help: "Threads (default: every core).")
    public var threads: Int?

    @Flag(help: "No progress lines.")
    public var quiet = false

    @OptionGroup public var thresholds: DetectionThresholdOptions

    public init() {}

    public func validate() throws {
        if inputs.isEmpty { throw ValidationError("name at least one image, folder, glob or JSONL to score") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if json && jsonl != nil { throw ValidationError("--json prints to standard output and --jsonl writes a file: choose one") }
    }
}
