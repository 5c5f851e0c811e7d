import Foundation
import SpoolCore

extension JobReport {
    /// What was trained: the model, its starting weights, the device and libtorch, the epochs and their time,
    /// and every hyperparameter of the best trial (`training_parameters`, all keys) as a compact table.
    ///
    /// `data-metric` paths: `epochs_run`, `best_epoch`, `seconds`, `mean(history.seconds)` (the mean of the
    /// history's `seconds`), `training_parameters.<key>` for each number; every hyperparameter's value also
    /// sits in an element with `data-parameter="<key>"`.
    func trainedSection() -> String {
        guard let document else { return "" }
        var out = "<section class=\"card\"><h2>What was trained</h2><dl class=\"facts\">"
        out += fact("Model", "<code>\(HTMLEscaping.escape(document.modelName.rawValue))</code>")
        let weights: String
        if let file = document.pretrainedWeights {
            let name = URL(fileURLWithPath: file).lastPathComponent
            weights = file == "checkpoint" ? "from an earlier run (checkpoint_run_id)"
                : "pretrained: <code title=\"\(HTMLEscaping.escape(file))\">\(HTMLEscaping.escape(name))</code>"
        } else {
            weights = "<span class=\"flagged\">from scratch</span> <span class=\"muted\">(random initialisation)</span>"
        }
        out += fact("Starting weights", weights)
        out += fact("Device", document.device.map { "<code>\(HTMLEscaping.escape($0))</code>" } ?? "<span class=\"muted\">not recorded</span>")
        out += fact("libtorch", document.libtorchVersion.map { HTMLEscaping.escape($0) } ?? "<span class=\"muted\">not recorded</span>")
        out += fact("Epochs", "<span data-metric=\"epochs_run\">\(document.epochsRun)</span> of \(document.parameters.numberOfEpochs)"
            + (document.stoppedEarly ? " <span class=\"muted\">(stopped early)</span>" : "")
            + " · best <span data-metric=\"best_epoch\">\(document.bestEpoch)</span>")
        let seconds = document.history.map(\.seconds).filter(\.isFinite)
        if !seconds.isEmpty {
            let mean = seconds.reduce(0, +) / Double(seconds.count)
            out += fact("Time per epoch", "<span data-metric=\"mean(history.seconds)\">\(String(format: "%.2f", mean))</span> s"
                + " <span class=\"muted\">(training, mean of \(seconds.count))</span>")
        }
        out += fact("Total time", "<span data-metric=\"seconds\">\(String(format: "%.1f", document.seconds))</span> s"
            + " <span class=\"muted\">(\(HTMLEscaping.escape(ReportFormat.duration(document.seconds))), evaluation included)</span>")
        out += "</dl>"
        out += parametersTable(document)
        return out + "</section>\n"
    }

    /// Every key of `training_parameters`, in name order, three pairs to a row on a wide page; values that
    /// differ from the task's and model's defaults in bold, those the sweep varied marked. The keys that do not
    /// apply to this task and model (a detector's NMS threshold for a classifier) are folded away below.
    private func parametersTable(_ document: MetricsDocument) -> String {
        guard let data = try? JSONEncoder().encode(document.parameters),
              let given = try? JSONDecoder().decode([String: SettingValue].self, from: data) else { return "" }
        let defaults = (try? JSONEncoder().encode(TrainingParameters.defaults(task: document.task, model: document.modelName)))
            .flatMap { try? JSONDecoder().decode([String: SettingValue].self, from: $0) } ?? [:]
        let applicable = Set(ParameterTable.names(task: document.task, model: document.modelName))
        let applies = { (key: String) in
            ParameterTable.row(key) == nil || applicable.contains(ParameterTable.canonicalName(key)) || self.parameters.contains(key)
        }
        let used = given.keys.sorted().filter(applies)
        let unused = given.keys.sorted().filter { !applies($0) }
        func cells(_ keys: [String]) -> String {
            var out = "<div class=\"params\">"
            for key in keys {
                let value = given[key]!
                let text = HTMLEscaping.escape(Self.describe(value))
                let attributes: String
                switch value {
                case .int, .double: attributes = "data-metric=\"training_parameters.\(HTMLEscaping.escape(key))\" data-parameter=\"\(HTMLEscaping.escape(key))\""
                default: attributes = "data-parameter=\"\(HTMLEscaping.escape(key))\""
                }
                var classes = ["param"]
                if defaults[key] != value { classes.append("changed") }
                if parameters.contains(key) { classes.append("is-swept") }
                out += "<div class=\"\(classes.joined(separator: " "))\"><span class=\"param-name\">\(HTMLEscaping.escape(key))</span>"
                    + "<span class=\"param-value\" \(attributes)>\(text)</span></div>"
            }
            return out + "</div>"
        }
        var out = "<h3>Hyperparameters of the best trial</h3><p class=\"note\">The \(used.count) of metrics.json's "
            + "training_parameters that \(HTMLEscaping.escape(document.modelName.rawValue)) uses for this task. "
            + "<strong>Bold</strong>: not the default for this task and model; "
            + "<span class=\"swept\">swept</span>: varied between the trials.</p>" + cells(used)
        if !unused.isEmpty {
            out += "<details class=\"unused-params\"><summary>\(unused.count) more in metrics.json that other tasks or "
                + "models use (not used here)</summary>" + cells(unused) + "</details>"
        }
        return out
    }

    /// On what data: training and validation examples per class side by side, and how validation was chosen.
    ///
    /// `data-metric` paths: `class_counts.train.<class>`, `class_counts.validation.<class>` (the class name may
    /// hold dots: it is everything after the side), `train_images`, `validation_images`, `split.split_ratio`,
    /// `split.seed`.
    func dataSection() -> String {
        guard let document else { return "" }
        var out = "<section class=\"card\"><h2>Data</h2><dl class=\"facts\">"
        out += fact("Training images", "<span data-metric=\"train_images\">\(document.trainImages)</span>")
        out += fact("Validation images", "<span data-metric=\"validation_images\">\(document.validationImages)</span>")
        out += fact("Classes", "\(document.classes.count)")
        if let split = document.split {
            let how: String
            if split.method == "validation_data" {
                how = "given: <code>\(HTMLEscaping.escape(split.validationData ?? "validation_data"))</code>"
            } else {
                how = "<span data-metric=\"split.split_ratio\">\(ReportFormat.plain(split.splitRatio ?? .nan))</span> of the training data"
                    + " held out, stratified by class, seed <span data-metric=\"split.seed\">\(split.seed.map(String.init) ?? "?")</span>"
            }
            out += fact("Validation split", how)
        } else {
            out += fact("Validation split", "<span class=\"muted\">not recorded</span>")
        }
        out += "</dl>"
        guard let counts = document.classCounts else {
            return out + "<p class=\"note\">This metrics.json has no class counts (written by an older Spool).</p></section>\n"
        }
        let names = document.classes.isEmpty ? Array(Set(counts.train.keys).union(counts.validation.keys)).sorted() : document.classes
        let most = max(1, names.map { max(counts.train[$0] ?? 0, counts.validation[$0] ?? 0) }.max() ?? 1)
        let trainTotal = max(1, counts.train.values.reduce(0, +)), validationTotal = max(1, counts.validation.values.reduce(0, +))
        let columns: [HTMLTable.Cell] = [
            .text("class"), .text("train \(counts.unit)", classes: ["num"]), .text("share", classes: ["num"]),
            .text("validation \(counts.unit)", classes: ["num"]), .text("share", classes: ["num"]), .text(""),
        ]
        let rows = names.map { name -> HTMLTable.Row in
            let t = counts.train[name] ?? 0, v = counts.validation[name] ?? 0
            let bars = "<div class=\"pair-bars\"><span class=\"bar train\" style=\"width:\(String(format: "%.1f", 100 * Double(t) / Double(most)))%\"></span>"
                + "<span class=\"bar validation\" style=\"width:\(String(format: "%.1f", 100 * Double(v) / Double(most)))%\"></span></div>"
            var flagged: [String] = []
            if v == 0 { flagged.append("missing") }
            return .init(cells: [
                .label(name), .count(t, metric: "class_counts.train.\(name)"),
                .text(String(format: "%.1f%%", 100 * Double(t) / Double(trainTotal)), classes: ["num", "muted"]),
                .init(html: String(v), metric: "class_counts.validation.\(name)", classes: ["num"] + flagged),
                .text(String(format: "%.1f%%", 100 * Double(v) / Double(validationTotal)), classes: ["num", "muted"]),
                .init(html: bars, classes: ["bars"]),
            ])
        }
        out += "<h3>\(counts.unit == "objects" ? "Objects" : "Images") per class</h3>"
        out += SVGChart.legend([.init(html: "train", color: "#4e79a7", marker: .disc), .init(html: "validation", color: "#f28e2b", marker: .disc)])
        out += HTMLTable(columns: columns, rows: rows, classes: ["classes", "counts"]).html()
        if names.contains(where: { (counts.validation[$0] ?? 0) == 0 }) {
            out += "<p class=\"note\">A class without validation \(counts.unit) is not measured: its scores below are 0 or missing.</p>"
        }
        return out + "</section>\n"
    }
}
