import ArgumentParser
import SpoolCore

/// `spoolctl train`: the options, shared by spoolctl (which parses and checks them) and spool-trainer
/// (which runs them).
public struct TrainArguments: ParsableArguments {
    public static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one configuration from a bundle folder and write the model with its metrics.",
        discussion: """
        BUNDLE is a folder holding settings.yaml (Azure's AutoML image job shape), the training JSONL \
        (training_data.path, default train.jsonl), an optional validation JSONL, and the images (an images/ \
        folder, or paths relative to the bundle). Without validation data, split_ratio (default 0.2) of the \
        training lines are held out, reproducibly under --seed.

        BUNDLE may also be a folder per class (a sub-folder of images per class, no settings.yaml, no JSONL): \
        it is made into a bundle in OUT/bundle/ (images hard-linked, as `spoolctl init-bundle --link` does) \
        and trained with the defaults, --set applying.

        The model is training_parameters.model_name (default vitb16r224) with every other hyperparameter \
        from training_parameters, defaults filled in per task and model. Pretrained weights come from \
        training_parameters.pretrained_weights, or a file named after the model in --weights-dir (or \
        SPOOL_WEIGHTS_DIR); without them training starts from scratch and the log says so.

        Writes OUT/model/ (weights.safetensors + model.json), OUT/metrics.json (primary metric at the best \
        epoch, per-epoch history, per-class report) and OUT/train.log. Progress goes to standard error.

        Every epoch ends with a resume checkpoint in OUT/checkpoints/resume/ (weights, optimiser, schedule, \
        random state). A run stopped (SIGTERM, Ctrl-C, a crash) continues with --resume OUT, ending as if it \
        had never stopped.

        With --nproc N (and --nnodes), N processes train data-parallel: each takes its share of every batch \
        (training_batch_size is the whole batch), gradients are averaged and batch norm uses the whole batch \
        (gloo on the CPU, NCCL on CUDA), so the result does not depend on N beyond floating-point order. \
        The first process evaluates and writes the outputs; if one process dies, the run stops.

        Examples:
          spoolctl train examples/shapes --out runs/shapes
          spoolctl train shapes --out runs/quick --set number_of_epochs=3
          spoolctl train shapes --out runs/r18 --set model_name=resnet18
          spoolctl train shapes --out runs/dp --nproc 2 --set training_batch_size=32
          spoolctl train shapes --resume runs/shapes
        """)

    @Argument(help: "The bundle folder (settings.yaml, JSONL, images), or a folder per class.")
    public var bundle: String

    @Option(name: .long, help: "The output folder (created; must be empty or absent; with --resume, the run's folder).")
    public var out: String?

    @Flag(help: "Replace --out if it exists.")
    public var force = false

    @Option(help: ArgumentHelp("Continue an interrupted run in its folder, from its newest intact checkpoint (weights, optimiser, schedule, generators), as if it had never stopped.", valueName: "dir"))
    public var resume: String?

    @Flag(name: .customLong("resume-or-start"), help: "Continue the run in --out when it holds a checkpoint of it, else start there (how the daemon and Slurm start a trial again).")
    public var resumeOrStart = false

    /// The run's folder: --out, or the folder --resume continues.
    public var outputFolder: String { out ?? resume ?? "" }

    @Option(help: "cpu, cuda or cuda:N.")
    public var device: String = "cpu"

    @Option(help: "Seed for the split, shuffling, augmentation and initialisation (default: training_parameters.seed, else 0).")
    public var seed: UInt64?

    @Option(help: "libtorch threads (default: every core).")
    public var threads: Int?

    @Option(name: .customLong("weights-dir"), help: "A folder of reference weight files, searched by model name (repeatable).")
    public var weightsDirectories: [String] = []

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a training parameter (repeatable).", valueName: "key=value"))
    public var overrides: [String] = []

    @Flag(help: "Print only the final summary.")
    public var quiet = false

    @Flag(name: .customLong("progress-json"), help: "Write progress as JSON lines on standard output (the spool daemon reads them).")
    public var progressJSON = false

    @Option(help: "Data-parallel: processes on this machine (one per GPU with --device cuda), training_batch_size divided among them.")
    public var nproc = 1

    @Option(help: "Data-parallel: machines in the run, each running --nproc processes.")
    public var nnodes = 1

    @Option(name: .customLong("node-rank"), help: "Data-parallel: this machine's place among --nnodes (0 writes the outputs).")
    public var nodeRank = 0

    @Option(help: ArgumentHelp("Data-parallel: the first machine's address (default with one machine: 127.0.0.1, a free port).", valueName: "host:port"))
    public var rendezvous: String?

    public init() {}

    /// `--set key=value` items as overrides of training parameters (values read leniently, as the settings
    /// file's are); shared by `train --set` and `submit --set`.
    public static func overrideValues(_ items: [String]) throws -> [String: SettingValue] {
        var values: [String: SettingValue] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            guard parts.count == 2, !key.isEmpty else {
                throw ValidationError("--set \(item): expected key=value, e.g. --set number_of_epochs=5")
            }
            values[key] = .string(parts[1])
        }
        return values
    }

    public func validate() throws {
        _ = try Self.overrideValues(overrides)
        guard out != nil || resume != nil else {
            throw ValidationError("Missing expected argument '--out <out>' (or --resume <dir> to continue a run)")
        }
        if let resume, let out, URL(fileURLWithPath: resume).standardizedFileURL.path != URL(fileURLWithPath: out).standardizedFileURL.path {
            throw ValidationError("--resume \(resume) continues the run in its own folder: leave out --out, or give the same folder")
        }
        if resume != nil, force || resumeOrStart {
            throw ValidationError("--resume continues a run: it cannot be combined with --force or --resume-or-start")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if nproc < 1 || nnodes < 1 { throw ValidationError("--nproc and --nnodes must be at least 1") }
        if !(0..<nnodes).contains(nodeRank) { throw ValidationError("--node-rank \(nodeRank): must be in 0..<--nnodes (\(nnodes))") }
        if nnodes > 1, rendezvous == nil {
            throw ValidationError("--nnodes \(nnodes) needs --rendezvous HOST:PORT, an address of the first machine (--node-rank 0) the others reach")
        }
        let device = self.device
        if !(device == "cpu" || device == "cuda" || (device.hasPrefix("cuda:") && Int(device.dropFirst(5)) != nil)) {
            throw ValidationError("--device \(device): use cpu, cuda or cuda:N")
        }
    }
}

/// `spoolctl predict`.
public struct PredictArguments: ParsableArguments {
    public static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Score images with a model folder.",
        discussion: """
        Preprocesses each image as validation does (resize to valid_resize_size, centre crop to \
        valid_crop_size, ImageNet normalisation, from the model's model.json) and prints its classes with \
        probabilities. With --json, prints Azure's scoring output: a JSON list with, per image, \
        {"filename", "probs", "labels"}, every class in class order unless --top limits it (then the most \
        probable first). A detector prints {"filename", "boxes": [{"box": {"topX", "topY", "bottomX", \
        "bottomY"}, "label", "score"}]}, boxes normalised; --tile-grid scores small objects in tiles too; \
        --box-score-thresh, --box-iou-thresh and --max-detections replace model.json's thresholds for this run. \
        An image that cannot be read gets an error line ({"filename", "error"} in JSON) and the others are \
        still scored; the exit status is then 1.

        Examples:
          spoolctl predict --model runs/shapes/model shapes/images/0001.png --top 3
          spoolctl predict --model runs/boxes/model street.jpg --json --tile-grid 3x2
          spoolctl predict --model m a.jpg --box-score-thresh 0.5 --max-detections 20
        """)

    @Option(help: "A model folder (model.json + weights.safetensors).")
    public var model: String

    @Argument(help: "Image files.")
    public var images: [String]

    @Flag(help: "Print Azure's scoring JSON.")
    public var json = false

    @Option(help: "Only the K most probable classes per image.")
    public var top: Int?

    @Option(help: "cpu, cuda or cuda:N.")
    public var device: String = "cpu"

    @Option(name: .customLong("batch-size"), help: "Images per forward pass.")
    public var batchSize: Int = 16

    @OptionGroup public var tileGrid: TileGridOption

    @OptionGroup public var thresholds: DetectionThresholdOptions

    public init() {}

    public func validate() throws {
        if images.isEmpty { throw ValidationError("name at least one image to score") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }
}

/// `spoolctl import-model`.
public struct ImportModelArguments: ParsableArguments {
    public static let configuration = CommandConfiguration(
        commandName: "import-model",
        abstract: "Turn a reference weights file (torchvision/timm names, with its own head) into a Spool model folder.",
        discussion: """
        For models trained elsewhere, e.g. an ImageNet classifier or a COCO detector: --weights is a \
        safetensors file or a PyTorch file (.pth, .pt) whose tensor names are the reference's state-dict keys \
        (torchvision for resnet*, mobilenetv2, vitb16r224, vitl16r224 and the detectors; timm for resnest*, \
        seresnext, vits16r224), head included. --labels is a text file with one class a line, in class-index \
        order. For torchvision's detectors it lists the classes alone: their heads have one more output, the \
        background at 0 (RetinaNet's files too; a RetinaNet head without it also loads), and a leading \
        __background__ line, as torchvision's category lists have, is taken as that slot. A detector without \
        --labels is taken to be COCO-trained: the 90 categories after torchvision's background (Ultralytics' 80 \
        for yolov5s ... yolov5x, whose files must be converted to a state dict first: see docs/detection.md). \
        Files trained from scratch (plain BatchNorm, with num_batches_tracked) import as pretrained ones do.

        Classifiers get the default validation preprocessing (resize 256, centre crop 224, ImageNet mean and \
        std) unless options say otherwise; detectors --min-size and --max-size (default 600 and 1333).

        Examples:
          spoolctl import-model --model resnet18 --weights w.pt --labels l.txt --out m
          spoolctl import-model --model fasterrcnn_resnet50_fpn --weights f.pt --out m
          spoolctl import-model --model yolov5s --weights yolov5s.pt --out yolo
        """)

    @Option(help: ArgumentHelp("Spool model name: \(ModelCatalog.engineModelNames.joined(separator: ", "))."))
    public var model: String

    @Option(help: "The weights file.")
    public var weights: String

    @Option(help: "Labels, one a line, in class-index order (detectors: default COCO's 91 categories).")
    public var labels: String?

    @Option(help: "The model folder to create.")
    public var out: String

    @Flag(help: "Replace --out if it exists.")
    public var force = false

    @Flag(help: "The model is multilabel (sigmoid scores, threshold 0.5) rather than multiclass.")
    public var multilabel = false

    @Option(name: .customLong("resize"), help: "Validation resize (shorter side).")
    public var resizeSize: Int = 256

    @Option(name: .customLong("crop"), help: "Validation centre crop.")
    public var cropSize: Int = 224

    @Option(help: "Normalisation mean, three comma-separated numbers.")
    public var mean: String = "0.485,0.456,0.406"

    @Option(help: "Normalisation std, three comma-separated numbers.")
    public var std: String = "0.229,0.224,0.225"

    @Option(name: .customLong("min-size"), help: "Detectors: the shorter side images are resized to (torchvision's COCO models: 800).")
    public var minSize: Int = 600

    @Option(name: .customLong("max-size"), help: "Detectors: the longest the longer side may become.")
    public var maxSize: Int = 1333

    @Option(name: .customLong("img-size"), help: "yolov5: the letterbox side, a multiple of 32 (Ultralytics' COCO models: 640).")
    public var imgSize: Int = 640

    public init() {}

    public static func triple(_ text: String, name: String) throws -> [Float] {
        let values = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 3 else { throw ValidationError("--\(name) \(text): expected three comma-separated numbers") }
        return values
    }

    public func validate() throws {
        _ = try Self.triple(mean, name: "mean")
        let s = try Self.triple(std, name: "std")
        if s.contains(where: { $0 <= 0 }) { throw ValidationError("--std values must be positive") }
        if resizeSize < 1 || cropSize < 1 { throw ValidationError("--resize and --crop must be positive") }
        if cropSize > resizeSize { throw ValidationError("--crop \(cropSize) is larger than --resize \(resizeSize)") }
        if minSize < 1 || maxSize < minSize { throw ValidationError("--min-size must be positive and at most --max-size") }
        if imgSize < 32 || imgSize % 32 != 0 { throw ValidationError("--img-size \(imgSize): must be a positive multiple of 32") }
        if labels == nil, let name = ModelName(settingsValue: model), ModelCatalog.entry(name).tasks == .classification {
            throw ValidationError("--labels is required for a classifier: one label a line, in class-index order")
        }
    }
}

import Foundation
