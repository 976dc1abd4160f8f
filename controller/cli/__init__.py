"""The ``roost`` command line: one Typer application, one sub-module per command group.

This module only assembles the command groups; each group lives in its own module and holds no
product logic of its own (that belongs to ``ledger``, ``reducers``, ``effects`` and the operator).
"""

from __future__ import annotations

import typer

from controller.cli import (
    audit_cmds,
    demo_cmd,
    history_cmds,
    ledger_cmds,
    loadtester_cmd,
    ops_cmds,
    rendering,
    run_cmd,
    sandbox_cmd,
    simulating,
    ui_cmd,
    validating,
)

app = typer.Typer(
    name="roost",
    help="Roost: an event-sourced progressive-delivery operator for Kubernetes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(ledger_cmds.app, name="ledger")
app.add_typer(audit_cmds.app, name="audit")
app.command("validate")(validating.validate)
app.command("sandbox")(sandbox_cmd.sandbox)
app.command("simulate")(simulating.simulate_command)
app.command("render")(rendering.render)
app.command("run")(run_cmd.run)
app.command("loadtester")(loadtester_cmd.loadtester)
app.command("replay")(history_cmds.replay)
app.command("whatif")(history_cmds.whatif)
app.command("explain")(history_cmds.explain_command)
app.command("get")(ops_cmds.get)
app.command("status")(ops_cmds.status)
app.command("promote")(ops_cmds.promote)
app.command("abort")(ops_cmds.abort)
app.command("retry")(ops_cmds.retry)
app.command("pause")(ops_cmds.pause)
app.command("resume")(ops_cmds.resume)
app.command("ui")(ui_cmd.ui)
app.command("demo")(demo_cmd.demo)


def main() -> None:
    """Console-script entry point."""
    import sys

    app(args=run_cmd.normalise_bool_flags(sys.argv[1:]))
