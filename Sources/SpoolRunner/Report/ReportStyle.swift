/// The style sheet inlined into `report.html`: system fonts, white cards on a light page, tabular figures,
/// charts two to a row on a wide screen and one on a narrow one, and tidy printing.
enum ReportStyle {
    static let css = """
        :root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--page:#f4f6f9;--card:#fff;--accent:#2563eb}
        *{box-sizing:border-box}
        html{background:var(--page)}
        body{margin:0;color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
        main{max-width:1180px;margin:0 auto;padding:20px 24px 32px}
        .card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:0 0 16px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
        h1{font-size:22px;margin:0}
        h2{font-size:17px;margin:0 0 12px}
        h3{font-size:14px;margin:18px 0 6px}
        .title{display:flex;align-items:baseline;gap:12px;flex-wrap:wrap;margin-bottom:12px}
        .job-id{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--muted);background:var(--page);padding:2px 8px;border-radius:6px}
        .facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:10px 24px;margin:0}
        .facts dt{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
        .facts dd{margin:2px 0 0;font-weight:600}
        .job-reason{margin:12px 0 0;padding:8px 12px;background:var(--page);border-radius:6px;color:#323f4b}
        .muted,.note{color:var(--muted);font-weight:400}
        .note{margin:0 0 8px}
        .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;letter-spacing:.02em}
        .state-completed{background:#e3f9e5;color:#0e5a1c}
        .state-stopped{background:#fff3c4;color:#8d2b0b}
        .state-failed{background:#ffe3e3;color:#a61b1b}
        .state-unfinished{background:#e4e7eb;color:#3e4c59}
        .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px 24px}
        .chart{margin:0}
        .table-scroll+.charts{margin-top:18px}
        .chart figcaption{font-weight:600;margin-bottom:4px}
        .chart>svg{display:block;width:100%;height:auto}
        .chart svg text{font-size:11px;fill:#52606d}
        .chart svg text.axis-label{font-size:12px;fill:#323f4b}
        .chart .plot{fill:#fbfcfd}
        .chart .band{fill:#f0f3f7}
        .chart .grid{stroke:#e8ebef;stroke-width:1}
        .chart .tick,.chart .axis{stroke:#7b8794;stroke-width:1}
        .chart .series{fill:none;stroke-linejoin:round;stroke-linecap:round}
        .chart .chance{stroke:#9aa5b1;stroke-width:1.2;stroke-dasharray:5 4}
        .legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0 4px;font-size:12px;color:#323f4b}
        .legend-entry{display:inline-flex;align-items:center;gap:4px}
        .swatch{flex:none;display:block}
        .table-scroll{overflow-x:auto}
        table{border-collapse:collapse;width:100%;font-size:13px}
        th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
        thead th{font-size:12px;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);white-space:nowrap}
        tbody th{font-weight:600}
        .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        .missing{color:#9aa5b1}
        tr.best>*{background:#fff8e1}
        tr.average>*{background:#f8fafc;font-weight:600}
        tr.average+tr.average>*{border-top:0}
        td.reason{color:#3e4c59;max-width:420px}
        .star{color:#d99a00}
        table.confusion{width:auto}
        table.confusion td{text-align:center;min-width:56px;border:1px solid var(--line)}
        table.confusion td.diagonal{font-weight:700}
        table.confusion td.dark{color:#fff}
        table.confusion .corner{font-weight:400;font-style:italic}
        .tiles{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 8px}
        .tile{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:130px}
        .tile-name{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
        .tile-value{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
        .examples{display:flex;flex-wrap:wrap;gap:10px}
        svg.example{border-radius:6px;background:#111;max-width:100%;height:auto}
        .box-label{font-size:11px;font-weight:600;paint-order:stroke;stroke:#000;stroke-width:2px}
        .crumbs{margin:0 0 10px;font-size:13px}
        .crumbs a,a.report{color:var(--accent);text-decoration:none}
        .crumbs a:hover,a.report:hover{text-decoration:underline}
        .state-warning{background:#ffe3e3;color:#a61b1b}
        .flagged{color:#b42318}
        .callout{margin:12px 0 0;padding:10px 14px;border-radius:8px;border:1px solid;border-left-width:5px}
        .callout.danger{background:#fff1f0;border-color:#f3b2ad;border-left-color:#d92d20;color:#7a1b14}
        .callout code,.note code,p code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--page);padding:0 4px;border-radius:4px}
        .facts dd code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
        .params{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:0 20px;font-size:12.5px;margin-top:6px}
        .unused-params{margin-top:10px}.unused-params summary{cursor:pointer;color:var(--muted);font-size:12.5px}
        .param{display:flex;justify-content:space-between;gap:10px;padding:3px 0;border-bottom:1px solid var(--line)}
        .param-name{color:#3e4c59;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
        .param-value{font-variant-numeric:tabular-nums;text-align:right;overflow-wrap:anywhere}
        .param.changed .param-value{font-weight:700}
        .param.is-swept .param-name::after,.swept{content:"swept";margin-left:6px;padding:0 5px;border-radius:6px;background:#fff3c4;color:#8d2b0b;font:600 10px system-ui,sans-serif}
        table.counts{width:auto;min-width:60%}
        td.bars{width:220px}
        .pair-bars{display:flex;flex-direction:column;gap:2px;width:200px}
        .bar{display:block;height:6px;border-radius:3px;min-width:1px}
        .bar.train{background:#4e79a7}
        .bar.validation{background:#f28e2b}
        td.missing{color:#b42318;font-weight:700}
        details.epochs{margin-top:14px}
        details.epochs summary{cursor:pointer;font-weight:600;margin-bottom:6px}
        .gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px}
        .sample{margin:0;border:1px solid var(--line);border-radius:8px;overflow:hidden;background:#fff}
        .sample.wrong{border:2px solid #d92d20}
        .sample.right{border:2px solid #b7e4c7}
        .thumb{position:relative;background:#111;display:flex;align-items:center;justify-content:center;height:160px}
        .thumb img{max-width:100%;max-height:160px;image-rendering:auto}
        .verdict{position:absolute;top:6px;left:6px;padding:1px 7px;border-radius:8px;font-size:11px;font-weight:700;color:#fff}
        .wrong .verdict{background:#d92d20}
        .right .verdict{background:#2f855a}
        .sample figcaption{padding:6px 9px 8px;font-size:12.5px;line-height:1.4}
        .sample-name{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--muted);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
        .wrong [data-predicted]{color:#b42318}
        .scores{color:var(--muted);font-size:11.5px}
        .score{font-variant-numeric:tabular-nums}
        pre.command{margin:0 0 6px;padding:8px 12px;background:#0f172a;color:#e2e8f0;border-radius:8px;overflow-x:auto;font:12.5px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-all}
        .parallel-chart{margin:0 0 18px}
        svg.parallel{display:block;width:100%;height:auto}
        svg.parallel text{font-size:11px;fill:#52606d}
        svg.parallel text.axis-name{font-size:12px;font-weight:600;fill:#323f4b}
        svg.parallel .axis{stroke:#52606d;stroke-width:1.2}
        svg.parallel .tick{stroke:#7b8794;stroke-width:1}
        svg.parallel text.tick-label{paint-order:stroke;stroke:#fff;stroke-width:3px}
        table.jobs td,table.jobs th{white-space:nowrap}
        footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
        @media print{html{background:#fff}.card{box-shadow:none;break-inside:avoid}}
        """
}
