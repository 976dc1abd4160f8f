"""``roost run``: the operator, with Flagger's flags (``-mesh-provider`` and ``--mesh-provider``
both work) and a ``ROOST_*`` environment variable for each.

Go's flag package lets a boolean flag stand alone (``-enable-leader-election``) or take a value
(``-enable-leader-election=false``); :func:`normalise_bool_flags` rewrites the bare form so the
options below, which take a value, read both.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any

import typer

from controller.cli.options import DEFAULT_LEDGER
from controller.operator.logs import configure_logging
from controller.operator.process import RunConfig, serve
from controller.operator.world import OperatorSettings
from effects.notifiers.settings import GlobalNotifierSettings
from effects.routing import RouterSettings
from effects.settings import DEFAULT_SELECTOR_LABELS, WorkloadSettings
from reducers.spec import SpecError, parse_provider
from reducers.spec.durations import parse_go_duration
from reducers.spec.errors import DurationError

EXIT_PROBLEM = 2
BOOL_FLAGS = (
    "enable-config-tracking",
    "no-cross-namespace-refs",
    "enable-leader-election",
)
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def normalise_bool_flags(argv: Sequence[str]) -> list[str]:
    """``-flag`` / ``--flag`` of a boolean flag becomes ``--flag=true``."""
    out = []
    for arg in argv:
        bare = arg.lstrip("-")
        if arg.startswith("-") and bare in BOOL_FLAGS:
            out.append(f"--{bare}=true")
        else:
            out.append(arg)
    return out


def _bool(name: str, text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    typer.echo(f"roost run: -{name}={text!r}: expected true or false", err=True)
    raise typer.Exit(EXIT_PROBLEM)


def _duration(name: str, text: str) -> timedelta:
    try:
        return parse_go_duration(text)
    except DurationError:
        typer.echo(f"roost run: -{name}={text!r}: expected a duration such as 10s", err=True)
        raise typer.Exit(EXIT_PROBLEM) from None


def _opt(name: str, help_text: str, **kw: Any) -> Any:
    env = "ROOST_" + name.upper().replace("-", "_")
    return typer.Option(f"--{name}", f"-{name}", envvar=env, help=help_text, **kw)


def run(
    kubeconfig: Annotated[
        str | None, _opt("kubeconfig", "Kubeconfig; in-cluster if unset.")
    ] = None,
    ledger: Annotated[
        str, _opt("ledger", "Ledger: SQLite path or SQLAlchemy URL.")
    ] = DEFAULT_LEDGER,
    namespace: Annotated[str, _opt("namespace", "Only this namespace; all if empty.")] = "",
    metrics_server: Annotated[
        str, _opt("metrics-server", "Prometheus URL for builtin metrics.")
    ] = "http://prometheus:9090",
    mesh_provider: Annotated[str, _opt("mesh-provider", "Default provider.")] = "istio",
    selector_labels: Annotated[
        str, _opt("selector-labels", "Selector label keys, in order.")
    ] = ",".join(DEFAULT_SELECTOR_LABELS),
    include_label_prefix: Annotated[
        str, _opt("include-label-prefix", "Label prefixes copied to primaries.")
    ] = "",
    enable_config_tracking: Annotated[
        str, _opt("enable-config-tracking", "Track ConfigMaps and Secrets.")
    ] = "true",
    ingress_class: Annotated[str, _opt("ingress-class", "Contour ingress class.")] = "",
    ingress_annotations_prefix: Annotated[
        str, _opt("ingress-annotations-prefix", "NGINX annotation prefix.")
    ] = RouterSettings().nginx_annotations_prefix,
    slack_url: Annotated[str, _opt("slack-url", "Slack webhook URL.")] = "",
    slack_channel: Annotated[str, _opt("slack-channel", "Slack channel.")] = "",
    slack_user: Annotated[str, _opt("slack-user", "Slack user name.")] = "flagger",
    msteams_url: Annotated[str, _opt("msteams-url", "Teams webhook URL.")] = "",
    event_webhook: Annotated[str, _opt("event-webhook", "Webhook for every event.")] = "",
    cluster_name: Annotated[str, _opt("cluster-name", "Cluster name in alerts.")] = "",
    no_cross_namespace_refs: Annotated[
        str, _opt("no-cross-namespace-refs", "Refuse references to other namespaces.")
    ] = "false",
    enable_leader_election: Annotated[
        str, _opt("enable-leader-election", "Elect a leader with a Lease.")
    ] = "false",
    leader_election_namespace: Annotated[
        str, _opt("leader-election-namespace", "Namespace of the Lease.")
    ] = "default",
    leader_election_id: Annotated[
        str, _opt("leader-election-id", "This replica's Lease identity; the host name if unset.")
    ] = "",
    leader_election_lease_duration: Annotated[
        float, _opt("leader-election-lease-duration", "Seconds a Lease holds without renewal.")
    ] = 15.0,
    leader_election_renew_deadline: Annotated[
        float, _opt("leader-election-renew-deadline", "Seconds the leader tries to renew.")
    ] = 10.0,
    leader_election_retry_period: Annotated[
        float, _opt("leader-election-retry-period", "Seconds between Lease attempts.")
    ] = 2.0,
    log_level: Annotated[str, _opt("log-level", "debug, info, warn or error.")] = "info",
    port: Annotated[int, _opt("port", "Port of /metrics, /healthz and /readyz.")] = 8080,
    workers: Annotated[int, _opt("workers", "Ticks run at once, at most.")] = 8,
    min_interval: Annotated[
        str, _opt("min-interval", "Shortest tick period (Flagger: 10s); for demos and tests.")
    ] = "10s",
) -> None:
    """Run the operator: watch Canaries, tick each at its interval, record everything."""
    configure_logging(log_level)
    try:
        parse_provider(mesh_provider)
    except SpecError as e:
        typer.echo(f"roost run: -mesh-provider: {e}", err=True)
        raise typer.Exit(EXIT_PROBLEM) from None
    tracking = _bool("enable-config-tracking", enable_config_tracking)
    if (
        not 0
        < leader_election_retry_period
        < leader_election_renew_deadline
        < leader_election_lease_duration
    ):
        typer.echo(
            "roost run: expected 0 < -leader-election-retry-period < "
            "-leader-election-renew-deadline < -leader-election-lease-duration",
            err=True,
        )
        raise typer.Exit(EXIT_PROBLEM)
    workload = WorkloadSettings.from_flags(selector_labels, include_label_prefix, tracking)
    settings = OperatorSettings(
        mesh_provider=mesh_provider,
        metrics_server=metrics_server,
        workload=workload,
        router=RouterSettings(
            ingress_class=ingress_class,
            nginx_annotations_prefix=ingress_annotations_prefix,
            selector_labels=workload.selector_labels,
        ),
        event_webhook=event_webhook or None,
        cluster_name=cluster_name,
        no_cross_namespace_refs=_bool("no-cross-namespace-refs", no_cross_namespace_refs),
        min_interval=_duration("min-interval", min_interval),
    )
    notifier = GlobalNotifierSettings(
        slack_url=slack_url,
        slack_channel=slack_channel,
        slack_user=slack_user,
        msteams_url=msteams_url,
        cluster_name=cluster_name,
    )
    config = RunConfig(
        ledger=ledger,
        settings=settings,
        notifier=notifier,
        kubeconfig=kubeconfig,
        namespace=namespace or None,
        port=port,
        workers=workers,
        leader_election=_bool("enable-leader-election", enable_leader_election),
        leader_election_namespace=leader_election_namespace,
        leader_election_lease_duration=leader_election_lease_duration,
        leader_election_renew_deadline=leader_election_renew_deadline,
        leader_election_retry_period=leader_election_retry_period,
        identity=leader_election_id or socket.gethostname(),
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    logging.getLogger("roost.operator").info("roost run: ledger %s", ledger)
    serve(config, stop)
    sys.exit(0)
