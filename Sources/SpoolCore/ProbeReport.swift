import Foundation

/// What `spool-trainer probe BUNDLE` found, read by the bundle validator: the contract between the two
/// processes (JSON on the probe's standard output).
///
/// The probe runs in a disposable process: a hostile image or weights file can crash a decoder there without
/// harming the daemon.
public struct ProbeReport: Codable, Sendable, Equatable {
    /// Images decoded.
    public var checked: Int
    public var problems: [String]
    public var warnings: [String]
    /// The starting weights: a file that was loaded into the model, or nil (from scratch).
    public var weights: String?
    /// The measured time of a training step per image on this machine (with `--estimate`), at the job's batch
    /// size, image sizes and memory format.
    public var secondsPerImage: Double?
    /// The measured time of the validation pass per image, at the job's validation batch size.
    public var validationSecondsPerImage: Double?
    /// The time to write the resume checkpoint every epoch ends with.
    public var checkpointSeconds: Double?
    /// The batch size and memory format the training steps were timed at.
    public var measuredBatch: Int?
    public var memoryFormat: String?
    /// Where the estimate was measured ("cpu, 2 threads", "cuda:0").
    public var device: String?
    /// When the settings leave the model to a default meant for a GPU and weights that this machine lacks: the
    /// model this machine can train, with its measured time.
    public var alternative: Alternative?

    public struct Alternative: Codable, Sendable, Equatable {
        public var model: String
        public var secondsPerImage: Double
        public var validationSecondsPerImage: Double?
        /// Why the default does not suit this machine.
        public var reason: String

        public init(model: String, secondsPerImage: Double, validationSecondsPerImage: Double? = nil, reason: String) {
            self.model = model
            self.secondsPerImage = secondsPerImage
            self.validationSecondsPerImage = validationSecondsPerImage
            self.reason = reason
        }

        enum CodingKeys: String, CodingKey {
            case model, reason, secondsPerImage = "seconds_per_image", validationSecondsPerImage = "validation_seconds_per_image"
        }
    }

    public init(checked: Int = 0, problems: [String] = [], warnings: [String] = [], weights: String? = nil,
                secondsPerImage: Double? = nil, device: String? = nil) {
        self.checked = checked
        self.problems = problems
        self.warnings = warnings
        self.weights = weights
        self.secondsPerImage = secondsPerImage
        self.device = device
    }

    enum CodingKeys: String, CodingKey {
        case checked, problems, warnings, weights, device, alternative
        case secondsPerImage = "seconds_per_image", validationSecondsPerImage = "validation_seconds_per_image"
        case measuredBatch = "measured_batch", memoryFormat = "memory_format", checkpointSeconds = "checkpoint_seconds"
    }
}
