"""``roost simulate CANARY.yaml [--script S.yaml] [--json] [--ledger PATH]``: a run, offline.

Reads one Canary and an optional script (see ``controller.simulation.scripts``), runs the real
decider against the scripted world and prints a timeline (``rich``) or one JSON object per tick.
With ``--ledger`` every observation and decision is appended exactly as the operator records it.
Bad input — an invalid Canary, a malformed script, a metric or webhook the Canary lacks — is one
line on stderr naming the place, and exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
import yaml
from rich.console import Console
from rich.text import Text

from controller.cli.validating import load_documents
from controller.simulation import ScriptError, SimulationError, TickReport, load_script, simulate
from ledger import Ledger, LedgerError
from reducers.events import EventType
from reducers.spec import Canary, validate_document

EXIT_BAD_INPUT = 2
_BAR = 20


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _read_yaml(path: Path, what: str) -> list[Any]:
    try:
        return load_documents(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise _fail(f"{path}: cannot read {what}: {e}") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise _fail(f"{path}{where}: malformed YAML in {what}") from e


def _load_canary(path: Path) -> Canary:
    docs = _read_yaml(path, "canary")
    canaries = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Canary"]
    if len(canaries) != 1:
        raise _fail(f"{path}: expected exactly one Canary document, found {len(canaries)}")
    result = validate_document(canaries[0])
    if isinstance(result, list):
        raise _fail(f"{path}: invalid canary: {result[0]}")
    if not isinstance(result, Canary):  # pragma: no cover - kind checked above
        raise _fail(f"{path}: not a Canary")
    return result


def simulate_command(
    canary: Annotated[Path, typer.Argument(help="File holding one Canary.", show_default=False)],
    script: Annotated[
        Path | None, typer.Option("--script", help="Script of world changes, one item per tick.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per tick.")] = False,
    ledger: Annotated[
        str | None, typer.Option("--ledger", help="Append every event to this ledger.")
    ] = None,
) -> None:
    """Simulate a canary run tick by tick against a scripted world."""
    model = _load_canary(canary)
    parsed = None
    if script is not None:
        docs = _read_yaml(script, "script")
        try:
            parsed = load_script(docs[0] if docs else None)
        except ScriptError as e:
            raise _fail(f"{script}: {e}") from e
    console = Console(highlight=False, soft_wrap=True, width=200)
    printer = _print_json if as_json else _timeline(console)
    opened = None
    try:
        if ledger is not None:
            opened = Ledger.open(ledger)
        simulate(model, parsed, ledger=opened, on_tick=printer)
    except ScriptError as e:
        raise _fail(f"{script or canary}: {e}") from e
    except (SimulationError, LedgerError) as e:
        raise _fail(str(e)) from e
    finally:
        if opened is not None:
            opened.close()


def _print_json(report: TickReport) -> None:
    typer.echo(orjson.dumps(report.as_json()).decode())


def _timeline(console: Console) -> Any:
    def show(report: TickReport) -> None:
        primary, canary, mirrored = report.routes
        filled = round(canary * _BAR / 100)
        bar = Text()
        bar.append("█" * (_BAR - filled), style="blue")
        bar.append("░" * filled, style="yellow")
        bar.append(f" {primary}/{canary}" + (" mirrored" if mirrored else ""))
        s = report.state
        head = Text()
        head.append(f"T{report.tick:<4}", style="bold")
        head.append(report.time.strftime("%Y-%m-%d %H:%M:%S  "))
        head.append(f"{s.phase.value or '-':<17}", style="bold cyan")
        head.append_text(bar)
        head.append(f"  weight {s.canary_weight} failed {s.failed_checks} iter {s.iterations}")
        console.print(head)
        for event in report.events:
            style = "red" if event.type is EventType.WARNING else ""
            console.print(Text(f"      {event.message}", style=style))
        for alert in report.alerts:
            console.print(Text(f"      alert[{alert.severity.value}] {alert.message}", "magenta"))
        for hook in report.webhooks:
            console.print(Text(f"      webhook {hook.name} ({hook.type}) -> {hook.status}", "dim"))

    return show
