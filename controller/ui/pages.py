"""The HTML of each dashboard page, built from ``views`` values with ``markup`` (escape-all).

Layout and wording only; nothing here reads the ledger or the cluster. Links are built from
URL-quoted names and every shown value is escaped, so a hostile name or message stays text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from controller.cli.history_text import explanation_lines
from controller.ui.charts import line_chart
from controller.ui.markup import Html, tag
from controller.ui.views import CanaryRow, RunCharts
from reducers.canary.history import Run
from reducers.canary.timelines import decision_summary

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#111827;background:#f9fafb}
header{background:#1f2937;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 24px;max-width:1200px}
table{border-collapse:collapse;background:#fff;width:100%;margin-bottom:20px;font-size:14px}
th,td{border-bottom:1px solid #e5e7eb;padding:6px 10px;text-align:left;vertical-align:top}
th{background:#f3f4f6}
pre{background:#fff;border:1px solid #e5e7eb;padding:10px;overflow:auto;font-size:13px}
.phase{padding:2px 8px;border-radius:10px;background:#e5e7eb;font-size:12px}
.phase-Succeeded,.outcome-succeeded{background:#dcfce7}
.phase-Failed,.outcome-failed{background:#fee2e2}
.phase-Progressing,.phase-Promoting,.phase-Finalising,.outcome-running{background:#dbeafe}
.phase-Waiting,.phase-WaitingPromotion{background:#fef3c7}
.notice{background:#fef3c7;border:1px solid #f59e0b;padding:8px 12px;margin-bottom:12px}
.chart{background:#fff;border:1px solid #e5e7eb;margin:0 12px 12px 0}
nav.crumbs{margin-bottom:12px;font-size:14px}
"""


def href(*parts: str | int) -> str:
    """A path with every part URL-quoted (a name with ``/`` or ``?`` stays one segment)."""
    return "/" + "/".join(quote(str(p), safe="") for p in parts)


def when(value: str | datetime | None) -> str:
    if value is None:
        return "-"
    text = value.isoformat() if isinstance(value, datetime) else value
    return text.replace("T", " ").split("+")[0]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or hours else "") + f"{secs}s"


def clock(seconds: float) -> str:
    """Chart x ticks: minutes and seconds since the run started."""
    sign = "-" if seconds < 0 else ""
    minutes, secs = divmod(round(abs(seconds)), 60)
    return f"{sign}{minutes}:{secs:02d}"


def _badge(value: str | None, kind: str = "phase") -> Html:
    text = value or "-"
    return tag("span", text, class_=f"phase {kind}-{text}")


def page(title: str, *body: object, crumbs: Sequence[tuple[str, str | None]] = ()) -> Html:
    trail = [
        [tag("a", label, href=link) if link else tag("span", label), " / "]
        for label, link in crumbs
    ]
    return Html(
        "<!DOCTYPE html>\n"
        + tag(
            "html",
            tag(
                "head",
                tag("meta", charset="utf-8"),
                tag("title", f"{title} - roost"),
                tag("style", Html(_STYLE)),
            ),
            tag(
                "body",
                tag("header", tag("a", "roost", href="/"), tag("span", "delivery (read-only)")),
                tag(
                    "main",
                    tag("nav", trail, class_="crumbs") if crumbs else None,
                    tag("h1", title),
                    body,
                ),
            ),
            lang="en",
        )
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], **attrs: object) -> Html:
    return tag(
        "table",
        tag("thead", tag("tr", [tag("th", h) for h in headers])),
        tag("tbody", [tag("tr", [tag("td", cell) for cell in row]) for row in rows]),
        **attrs,
    )


def index_page(
    rows: Sequence[CanaryRow], live: dict[tuple[str, str], dict[str, Any]] | None, notice: str
) -> Html:
    headers = ["Name", "Namespace", "Provider", "Phase", "Weight", "Last transition"]
    headers += ["Last outcome", "Runs"] + (
        ["Live phase", "Live weight"] if live is not None else []
    )
    body: list[list[object]] = []
    for r in rows:
        cells: list[object] = [
            tag("a", r.name, href=href("canary", r.namespace, r.name), class_="canary-link"),
            r.namespace,
            r.provider or "-",
            _badge(r.phase),
            r.weight,
            when(r.last_transition),
            _badge(r.last_outcome, "outcome"),
            r.runs,
        ]
        if live is not None:
            found = live.get((r.namespace, r.name))
            cells += ["not in cluster", "-"] if found is None else [
                _badge(found["phase"]), "-" if found["weight"] is None else found["weight"]
            ]  # fmt: skip
        body.append(cells)
    content: list[object] = [tag("div", notice, class_="notice") if notice else None]
    if rows:
        content.append(_table(headers, body, id="canaries"))
    else:
        content.append(tag("p", "The ledger holds no canary yet."))
    return page("Canaries", content)


def explain_text(data: dict[str, Any]) -> str:
    return "\n".join(explanation_lines(data))


def canary_page(
    row: CanaryRow,
    runs: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    explanation: dict[str, Any] | None,
    manifest_yaml: str | None,
    yaml_source: str,
    notice: str,
) -> Html:
    ns, name = row.namespace, row.name
    run_rows = [
        [
            tag("a", r["run"], href=href("canary", ns, name, "run", r["run"]), class_="run-link"),
            r["revision"],
            when(r["startedAt"]),
            when(r["endedAt"]),
            duration(r["durationSeconds"]),
            _badge(r["outcome"], "outcome"),
            r["maxWeight"],
        ]
        for r in runs
    ]
    event_rows = [[when(e["at"]), e["type"], e["phase"], e["message"]] for e in events]
    summary = _table(
        ["Phase", "Weight", "Provider", "Target", "Last transition", "Last outcome"],
        [[_badge(row.phase), row.weight, row.provider or "-", row.target or "-",
          when(row.last_transition), _badge(row.last_outcome, "outcome")]],
        id="summary",
    )  # fmt: skip
    return page(
        f"{ns}/{name}",
        tag("div", notice, class_="notice") if notice else None,
        summary,
        tag("h2", "Runs"),
        _table(
            ["Run", "Revision", "Started", "Ended", "Duration", "Outcome", "Max weight"],
            run_rows,
            id="runs",
        )
        if run_rows
        else tag("p", "No run yet."),
        tag("h2", "Events"),
        _table(["Time", "Type", "Phase", "Message"], event_rows, id="events")
        if event_rows
        else tag("p", "No Kubernetes event recorded."),
        tag("h2", "Why the last run ended as it did"),
        tag("pre", explain_text(explanation), id="explain")
        if explanation
        else tag("p", "No run to explain."),
        tag("h2", f"Canary YAML ({yaml_source})"),
        tag("pre", manifest_yaml, id="yaml") if manifest_yaml else tag("p", "No spec recorded."),
        crumbs=[("canaries", "/"), (ns, None), (name, href("canary", ns, name))],
    )


def run_page(
    row: CanaryRow, run: Run, charts: RunCharts, explanation: dict[str, Any], of: int
) -> Html:
    ns, name = row.namespace, row.name
    figures = [
        line_chart(
            [charts.weight],
            charts.markers,
            title="canary weight (%)",
            x_label="time since the run started (m:ss)",
            x_format=clock,
            y_floor=0,
        )
    ]
    for metric, series in charts.metrics:
        figures.append(
            line_chart(
                series,
                charts.markers,
                title=f"metric {metric}",
                x_label="time since the run started (m:ss)",
                x_format=clock,
            )
        )
    ticks = [
        [
            t.number,
            when(t.at),
            _badge(t.after.phase.value),
            t.after.canary_weight,
            t.after.failed_checks,
            decision_summary(t.decisions),
        ]
        for t in run.ticks
    ]
    return page(
        f"{ns}/{name} run {run.number} of {of}",
        tag(
            "p",
            "Outcome ",
            _badge(run.outcome.value, "outcome"),
            f" revision {run.revision}, {len(run.ticks)} ticks, ",
            f"{when(run.started_at)} to {when(run.ended_at)}",
            id="run-summary",
        ),
        tag("h2", "Weights and metrics"),
        tag("div", figures, id="charts"),
        tag("h2", "Explanation"),
        tag("pre", explain_text(explanation), id="explain"),
        tag("h2", "Ticks"),
        _table(["Tick", "Time", "Phase", "Weight", "Failed", "Decisions"], ticks, id="ticks"),
        crumbs=[
            ("canaries", "/"),
            (ns, None),
            (name, href("canary", ns, name)),
            (f"run {run.number}", None),
        ],
    )


def error_page(status: int, message: str) -> Html:
    return page(f"{status}", tag("p", message, class_="error"), crumbs=[("canaries", "/")])
