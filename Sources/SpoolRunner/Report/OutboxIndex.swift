import Foundation
import SpoolCore
import SpoolStore

/// `outbox/index.html`: one self-contained page over the spool's jobs (newest first): id, name, task, state,
/// best metric, trials, created, elapsed, and a link to each job's `report.html`. Rewritten (atomically)
/// whenever a job finishes; each report links back to it.
public struct OutboxIndex: Sendable {
    public let layout: SpoolLayout
    /// The most jobs listed.
    public var limit = 2000

    public init(layout: SpoolLayout) { self.layout = layout }

    public static let fileName = "index.html"

    /// Writes `outbox/index.html` from the store's jobs.
    public func write(store: JobStore, generatedAt: Date) throws {
        let jobs = try store.jobs(limit: limit)
        let fm = FileManager.default
        try fm.createDirectory(at: layout.outbox, withIntermediateDirectories: true)
        let page = html(jobs: jobs, generatedAt: generatedAt) { id in
            fm.fileExists(atPath: layout.outbox(id).appendingPathComponent("report.html").path)
        }
        try Data(page.utf8).write(to: layout.outbox.appendingPathComponent(Self.fileName), options: .atomic)
    }

    /// The page; `hasReport` says whether `outbox/<id>/report.html` exists (only those are linked).
    func html(jobs: [JobSummary], generatedAt: Date, hasReport: (String) -> Bool) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Spool jobs</title>
            <style>\(ReportStyle.css)</style>
            </head><body><main>
            <header class="card job"><div class="title"><h1>Spool jobs</h1>
            """
        let counts = Dictionary(grouping: jobs, by: { JobReport.Outcome($0.job.state) }).mapValues(\.count)
        out += "<span class=\"job-id\">\(jobs.count) job\(jobs.count == 1 ? "" : "s")</span></div><p class=\"note\">"
        let summary = JobReport.Outcome.allCases.compactMap { o in counts[o].map { "\($0) \(o.word)" } }.joined(separator: ", ")
        out += summary.isEmpty ? "" : summary + "."
        out += jobs.isEmpty ? "No job yet: drop a bundle into incoming/ or run <code>spoolctl submit BUNDLE</code>." : ""
        out += " Newest first; each job's report has its curves, data, examples and how to use its model.</p></header>\n"
        out += "<section class=\"card\"><h2>Jobs</h2>"
        let columns: [HTMLTable.Cell] = [.text("job"), .text("name"), .text("task"), .text("state"),
                                         .text("best metric", classes: ["num"]), .text("trials", classes: ["num"]),
                                         .text("created"), .text("elapsed", classes: ["num"]), .text("reason")]
        let rows = jobs.map { summary -> HTMLTable.Row in
            let job = summary.job
            let id = HTMLEscaping.escape(job.id)
            let link = hasReport(job.id) ? "<a class=\"report\" href=\"\(id)/report.html\">\(id)</a>" : id
            let metric = summary.bestMetric.map { value in
                "<span class=\"muted\">\(HTMLEscaping.escape(job.bestMetricName ?? job.task.primaryMetric))</span> \(ReportFormat.fixed(value))"
            } ?? ReportFormat.missing
            let elapsed = job.startedAt.flatMap { start in job.finishedAt.map { ReportFormat.duration($0.timeIntervalSince(start)) } }
            return .init(cells: [
                .init(html: link, isHeader: true), .text(job.name), .text(job.task.rawValue), .init(html: JobReport.badge(job.state)),
                .init(html: metric, classes: ["num"]), .count(summary.trialCount),
                .text(JobReport.stamp(job.createdAt)), .text(elapsed ?? ReportFormat.missing, classes: ["num"]),
                .text(summary.displayReason, classes: ["reason"]),
            ], classes: ["job-row"])
        }
        out += HTMLTable(columns: columns, rows: rows, classes: ["trials", "jobs"]).html() + "</section>\n"
        out += "<footer>Written by Spool on \(HTMLEscaping.escape(JobReport.stamp(generatedAt))).</footer>\n"
        return out + "</main></body></html>\n"
    }
}
