import ArgumentParser

/// `spoolctl serve-model`: a model behind HTTP (parsed in spoolctl, run in spool-trainer).
public struct ServeModelArguments: ParsableArguments {
    public static let configuration = CommandConfiguration(
        commandName: "serve-model",
        abstract: "Serve a model folder over HTTP: POST /score, GET /health, GET /model.",
        discussion: """
        POST /score takes an image's raw bytes (Azure v1) or Azure v2's JSON, \
        {"input_data": {"columns": ["image"], "data": ["<base64>", ...]}}, and answers Azure's scoring \
        output: a JSON list with {"probs", "labels"} per image. GET /health answers once the model is loaded; \
        GET /model returns its model.json. Bodies over --max-body-mb get 413; a malformed body or image 400 \
        with the reason. Concurrent requests are batched through the model. SIGTERM or SIGINT stops it.

        Examples:
          spoolctl serve-model --model spool/outbox/JOB/model --port 8080
          curl --data-binary @cat.jpg http://127.0.0.1:8080/score
        """)

    @Option(help: "A model folder (model.json + weights.safetensors).")
    public var model: String

    @Option(help: "The address to listen on (0.0.0.0 for every interface).")
    public var host: String = "127.0.0.1"

    @Option(help: "The port (0: any free port, printed at start).")
    public var port: Int = 8080

    @Option(name: .customLong("max-body-mb"), help: "The largest request body, in MiB.")
    public var maxBodyMB: Double = 20

    @Option(name: .customLong("max-batch"), help: "Images scored together at most, across queued requests.")
    public var maxBatch: Int = 32

    @Option(help: "cpu, cuda or cuda:N.")
    public var device: String = "cpu"

    @Option(help: "Threads (default: every core).")
    public var threads: Int?

    public init() {}

    public func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port must be in 0...65535") }
        if maxBodyMB <= 0 { throw ValidationError("--max-body-mb must be > 0") }
        if maxBatch < 1 { throw ValidationError("--max-batch must be at least 1") }
    }
}
