import Foundation
import SpoolCore

extension JobReport {
    /// The commands that use this job's model, with its outbox paths: batch scoring, the scoring server and a
    /// request to it, and Azure's scoring script. Each command sits in a `<code data-command="NAME">`; their
    /// flags are those of `ScoreArguments` and `ServeModelArguments` (JobReportTests parses them with those).
    func usageSection() -> String {
        guard bestTrial != nil, document != nil else { return "" }
        var out = "<section class=\"card\"><h2>How to use this model</h2>"
        out += "<p class=\"note\">Replace <code>photos/</code> and <code>image.jpg</code> with your own images "
            + "(files, folders or globs). The model folder holds model.json, weights.safetensors and score.py.</p>"
        for (name, title, command) in Self.usageCommands(model: modelPath) {
            out += "<h3>\(HTMLEscaping.escape(title))</h3><pre class=\"command\"><code data-command=\"\(name)\">"
                + HTMLEscaping.escape(command) + "</code></pre>"
        }
        out += "<p class=\"note\">Scoring answers Azure's format: <code>{\"filename\", \"probs\", \"labels\"}</code> per image for a "
            + "classifier, <code>{\"boxes\": [{\"box\", \"label\", \"score\"}]}</code> for a detector. score.py needs Python 3 with "
            + "torch and torchvision (Debian: <code>apt install python3-torchvision</code>); see docs/scoring.md.</p>"
        return out + "</section>\n"
    }

    /// The model folder as the commands name it: the outbox's, absolute when known.
    var modelPath: String {
        (outboxDirectory?.appendingPathComponent("model").path) ?? "spool/outbox/\(job.id)/model"
    }

    /// (name, title, command line) for a model folder.
    static func usageCommands(model: String) -> [(String, String, String)] {
        let m = shellQuoted(model)
        let v2 = #"{"input_data": {"columns": ["image"], "data": ["'"$(base64 -w0 image.jpg)"'"]}}"#
        return [
            ("score", "Score a folder of images", "spoolctl score --model \(m) photos/ --jsonl scores.jsonl"),
            ("serve-model", "Serve it over HTTP", "spoolctl serve-model --model \(m) --port 8080"),
            ("curl", "Ask the server (an image's bytes, Azure v1)", "curl --data-binary @image.jpg http://127.0.0.1:8080/score"),
            ("curl-v2", "Ask the server (Azure v2 JSON)",
             "curl -H 'Content-Type: application/json' -d '\(v2)' http://127.0.0.1:8080/score"),
            ("score.py", "Score with Python, without Spool (score.py)", "python3 \(shellQuoted(model + "/score.py")) image.jpg"),
        ]
    }

    /// `text` as one shell word: as it is when it holds only safe characters, else in single quotes.
    static func shellQuoted(_ text: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,")
        if !text.isEmpty, text.allSatisfy({ safe.contains($0) }) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
