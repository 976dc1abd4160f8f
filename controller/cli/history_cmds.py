"""``roost replay``, ``roost whatif`` and ``roost explain``: recorded runs, read back.

The shell only: it opens the ledger, decodes a canary's stream and hands it to the pure read
model (``reducers.canary.history``, ``redeciding``, ``explaining``), then prints text or JSON.
Bad input (an unreadable ledger, an unknown canary, a run that does not exist, a bad ``--set``)
is one line on stderr and exit status 2; ``replay --verify`` exits 1 on a divergence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
import yaml
from sqlalchemy.exc import SQLAlchemyError

from controller.cli.history_text import (
    explanation_lines,
    replay_lines,
    whatif_json,
    whatif_lines,
)
from controller.cli.options import DEFAULT_LEDGER, LedgerOption
from controller.histories import canary_streams, load_histories
from ledger import Ledger, LedgerError
from reducers.canary.explaining import explain
from reducers.canary.history import Divergence, History, Run, verify
from reducers.canary.redeciding import SettingError, SpecChange, redecide, with_settings
from reducers.canary.timelines import describe, run_json
from reducers.events import SpecObserved
from reducers.spec import validate_document

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 1
_PREFIX = "canary/"

CanaryOption = Annotated[
    str | None, typer.Option("--canary", help="NS/NAME of one canary (default: every canary).")
]
RequiredCanary = Annotated[str, typer.Option("--canary", help="NS/NAME of the canary.")]
RunOption = Annotated[
    int | None, typer.Option("--run", help="Run number, from 1 (default: the last run).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _stream_of(canary: str) -> str:
    namespace, _, name = canary.partition("/")
    if not namespace or not name or "/" in name:
        raise _fail(f"--canary {canary!r}: expected NS/NAME")
    return f"{_PREFIX}{namespace}/{name}"


def _load(location: str, canary: str | None) -> list[History]:
    """Every canary's history (or the one named), decoded and split into runs."""
    wanted = None if canary is None else _stream_of(canary)
    try:
        ledger = Ledger.open(location)
    except (LedgerError, SQLAlchemyError) as e:
        # ``Ledger.open`` lets the driver's error through for a file that is not a database.
        detail = str(getattr(e, "orig", None) or e).splitlines()[0]
        raise _fail(f"cannot open ledger {location}: {detail}") from e
    try:
        streams = canary_streams(ledger)
        if wanted is not None:
            if wanted not in streams:
                known = ", ".join(s.removeprefix(_PREFIX) for s in streams) or "none"
                raise _fail(f"no canary {canary} in {location} (canaries: {known})")
            streams = [wanted]
        return load_histories(ledger, streams)
    except (LedgerError, SQLAlchemyError) as e:
        detail = str(getattr(e, "orig", None) or e).splitlines()[0]
        raise _fail(f"cannot read ledger {location}: {detail}") from e
    finally:
        ledger.close()


def _pick(history: History, number: int | None) -> Run:
    try:
        return history.run(number)
    except LookupError as e:
        raise _fail(str(e).removeprefix(_PREFIX)) from e


def _emit_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


# ------------------------------------------------------------------ replay


def replay(
    ledger: LedgerOption = DEFAULT_LEDGER,
    canary: CanaryOption = None,
    run: Annotated[int | None, typer.Option("--run", help="Only this run (from 1).")] = None,
    as_json: JsonOption = False,
    check: Annotated[
        bool,
        typer.Option("--verify", help="Re-decide every tick and compare with the recorded one."),
    ] = False,
) -> None:
    """Rebuild the timeline of recorded runs: per tick the observations, decisions and status."""
    histories = _load(ledger, canary)
    if check:
        _verify(histories, as_json)
        return
    selected = [(h, [_pick(h, run)] if run is not None else list(h.runs)) for h in histories]
    if as_json:
        _emit_json(
            {
                "canaries": [
                    {
                        "canary": h.stream.removeprefix(_PREFIX),
                        "runs": [run_json(r) for r in runs],
                    }
                    for h, runs in selected
                ]
            }
        )
        return
    for h, runs in selected:
        for line in replay_lines(h, runs):
            typer.echo(line)


def _verify(histories: list[History], as_json: bool) -> None:
    ticks = sum(sum(1 for t in h.ticks if t.number) for h in histories)
    found: Divergence | None = None
    for h in histories:
        found = verify(h)
        if found is not None:
            break
    if as_json:
        _emit_json(
            {
                "ok": found is None,
                "ticks": ticks,
                "canaries": len(histories),
                "divergence": None if found is None else _divergence_json(found),
            }
        )
    elif found is None:
        typer.echo(f"{ticks} ticks of {len(histories)} canaries replay exactly")
    else:
        for line in _divergence_lines(found):
            typer.echo(line)
    if found is not None:
        raise typer.Exit(EXIT_DIVERGED)


def _divergence_json(d: Divergence) -> dict[str, Any]:
    return {
        "canary": d.stream.removeprefix(_PREFIX),
        "run": d.run,
        "tick": d.tick,
        "at": None if d.at is None else d.at.isoformat(),
        "index": d.index,
        "recorded": None if d.recorded is None else describe(d.recorded),
        "replayed": None if d.replayed is None else describe(d.replayed),
        "need": d.need or None,
    }


def _divergence_lines(d: Divergence) -> list[str]:
    at = "" if d.at is None else f" ({d.at.isoformat()})"
    lines = [
        f"DIVERGED: {d.stream.removeprefix(_PREFIX)} run {d.run} tick {d.tick}{at}, "
        f"decision #{d.index + 1}",
        f"  recorded: {'(nothing)' if d.recorded is None else describe(d.recorded)}",
        f"  replayed: {'(nothing)' if d.replayed is None else describe(d.replayed)}",
    ]
    if d.need:
        lines.append(f"  the reducers still needed: {d.need}")
    return lines


# ------------------------------------------------------------------ whatif


def _parse_set(items: list[str]) -> list[tuple[str, Any]]:
    settings: list[tuple[str, Any]] = []
    for item in items:
        path, eq, text = item.partition("=")
        if not eq or not path:
            raise _fail(f"--set {item!r}: expected PATH=VALUE (e.g. analysis.threshold=5)")
        try:
            value = yaml.safe_load(text) if text else ""
        except yaml.YAMLError as e:
            raise _fail(f"--set {item!r}: the value is not a YAML scalar") from e
        settings.append((path.removeprefix("spec."), value))
    return settings


def _spec_file(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise _fail(f"{path}: cannot read the spec: {e}") from e
    if isinstance(doc, dict) and doc.get("kind") == "Canary":
        doc = doc.get("spec")
    if not isinstance(doc, dict):
        raise _fail(f"{path}: expected a Canary or its spec (a mapping)")
    return doc


def _change(settings: list[tuple[str, Any]], spec: dict[str, Any] | None) -> SpecChange:
    def change(recorded: dict[str, Any]) -> dict[str, Any]:
        return with_settings(recorded if spec is None else spec, settings)

    return change


def _recorded_specs(run: Run) -> list[SpecObserved]:
    """Each distinct spec the run observed (a spec patched mid-run gives more than one)."""
    found: dict[bytes, SpecObserved] = {}
    for tick in run.ticks:
        for e in tick.events:
            if isinstance(e, SpecObserved):
                found.setdefault(orjson.dumps(e.spec, option=orjson.OPT_SORT_KEYS), e)
    if not found:
        raise _fail(f"run {run.number} has no recorded spec")
    return list(found.values())


def _check_changed(change: SpecChange, recorded: list[SpecObserved]) -> None:
    """Every spec the what-if will decide with must be a valid Canary spec."""
    for observed in recorded:
        try:
            new_spec = change(observed.spec)
        except SettingError as e:
            raise _fail(f"--set {e}") from e
        doc = {
            "apiVersion": "flagger.app/v1beta1",
            "kind": "Canary",
            "metadata": {"name": observed.name, "namespace": observed.namespace},
            "spec": new_spec,
        }
        checked = validate_document(doc)
        if isinstance(checked, list):
            for problem in checked:
                typer.echo(f"error: the changed spec is invalid: {problem}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)


def whatif(
    canary: RequiredCanary,
    ledger: LedgerOption = DEFAULT_LEDGER,
    run: RunOption = None,
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", help="PATH=VALUE in the spec, e.g. analysis.threshold=5."),
    ] = None,
    spec_file: Annotated[
        Path | None, typer.Option("--spec", help="A whole Canary (or its spec) to use instead.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Re-decide a recorded run under a changed spec, from the recorded observations only."""
    if not settings and spec_file is None:
        raise _fail("nothing to change: give --set PATH=VALUE or --spec FILE")
    parsed = _parse_set(settings or [])
    whole = None if spec_file is None else _spec_file(spec_file)
    history = _load(ledger, canary)[0]
    chosen = _pick(history, run)
    change = _change(parsed, whole)
    _check_changed(change, _recorded_specs(chosen))
    result = redecide(chosen, change)
    if as_json:
        _emit_json(whatif_json(history, result))
        return
    for line in whatif_lines(history, result):
        typer.echo(line)


# ------------------------------------------------------------------ explain


def explain_command(
    canary: RequiredCanary,
    ledger: LedgerOption = DEFAULT_LEDGER,
    run: RunOption = None,
    as_json: JsonOption = False,
) -> None:
    """Why a run ended as it did, or what it is waiting for."""
    history = _load(ledger, canary)[0]
    data = explain(history, _pick(history, run))
    if as_json:
        _emit_json(data)
        return
    for line in explanation_lines(data):
        typer.echo(line)
