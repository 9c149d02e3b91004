namespace Backstop.Server.WebConsole;

/// <summary>The console's one stylesheet (served at /console.css): readable on a laptop and a phone, no web fonts, no scripts.</summary>
internal static class ConsoleStyle
{
    public const string Css = """
        :root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #5c6570; --line: #d0d7de; --card: #f6f8fa;
                --good: #1a7f37; --bad: #c62828; --prod: #c62828; --accent: #0b57d0; }
        @media (prefers-color-scheme: dark) {
          :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9aa5b1; --line: #30363d; --card: #161b22; --good: #3fb950; --bad: #ff7b72; --accent: #58a6ff; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
        a { color: var(--accent); }
        a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        .skip { position: absolute; left: -999px; top: 0; }
        .skip:focus { left: 8px; background: var(--bg); padding: 4px 8px; z-index: 10; }
        header { border-bottom: 1px solid var(--line); background: var(--card); }
        nav { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; padding: 8px 16px; }
        nav .brand { font-weight: 700; color: var(--fg); text-decoration: none; margin-right: 8px; }
        nav .who { margin-left: auto; color: var(--muted); }
        main { padding: 16px; max-width: 1200px; margin: 0 auto; }
        footer { padding: 16px; color: var(--muted); font-size: 13px; text-align: center; }
        h1 { font-size: 1.6rem; margin: 0.2em 0 0.6em; }
        h2 { font-size: 1.2rem; margin-top: 1.6em; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        thead th { font-size: 13px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .tier { display: inline-block; padding: 0 6px; border-radius: 4px; border: 1px solid var(--line); font-size: 13px; }
        .tier-production { background: var(--prod); border-color: var(--prod); color: #fff; font-weight: 700; letter-spacing: .05em; }
        .good { color: var(--good); }
        .bad, .error { color: var(--bad); }
        p.error { font-weight: 600; }
        section.card.bad { border-color: var(--bad); }
        tr.stale th { border-left: 4px solid var(--bad); }
        .muted, .role { color: var(--muted); }
        .status { font-weight: 600; }
        .status-approved, .status-committed, .status-executed, .status-ok, .status-delivered { color: var(--good); }
        .status-rejected, .status-denied, .status-failed, .status-expired, .status-interrupted { color: var(--bad); }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; }
        pre.script { background: var(--card); border: 1px solid var(--line); padding: 12px; overflow-x: auto; max-height: 480px; }
        code.command { background: var(--card); padding: 2px 6px; border: 1px solid var(--line); border-radius: 4px; }
        .card { border: 1px solid var(--line); background: var(--card); border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
        .narrow { max-width: 420px; }
        form.card label, form.card input, form.card select, form.card button { display: block; width: 100%; margin: 4px 0; }
        form.inline { display: inline-flex; gap: 4px; margin: 2px 4px 2px 0; }
        form.filters { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin-bottom: 12px; }
        input, select, button { font: inherit; padding: 6px 10px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); min-height: 40px; }
        button { cursor: pointer; background: var(--card); }
        button.approve { background: var(--good); border-color: var(--good); color: #fff; }
        button.reject { background: var(--bad); border-color: var(--bad); color: #fff; }
        .note { border-left: 4px solid var(--accent); padding-left: 8px; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        @media (max-width: 640px) { main { padding: 10px; } th, td { padding: 4px 6px; } dl.facts { grid-template-columns: 1fr; } }
        """;
}
