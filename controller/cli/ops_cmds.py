"""``roost get``, ``status``, ``promote``, ``abort``, ``retry``, ``pause``, ``resume``: operating
canaries in a cluster, in the spirit of Argo Rollouts' kubectl plugin.

Everything goes through the Canary resource with the official client, so the commands work
against any cluster the kubeconfig reaches (the sandbox included) and need no access to the
operator. A command is a ``roost.dev/command`` annotation (``{command, id, by, at}``) that the
operator observes at its next tick, records in the ledger with who asked, acts on once and then
removes; ``pause`` and ``resume`` also set Flagger's own ``spec.suspend``. Every failure is one
line on stderr and exit status 2.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import kubernetes.client
import kubernetes.config
import kubernetes.watch
import typer
import urllib3

from controller.cli import ops_text
from controller.operator.commands import COMMAND_ANNOTATION
from controller.operator.world import CANARY_API
from effects.kubeapi import KubeApi, ObjectRef, classify
from reducers.canary.state import rfc3339
from reducers.events import Command

EXIT_PROBLEM = 2
EVENTS_SHOWN = 10
GROUP, VERSION, PLURAL = "flagger.app", "v1beta1", "canaries"

KubeconfigOption = Annotated[
    str,
    typer.Option(
        "--kubeconfig", envvar="ROOST_KUBECONFIG", help="Kubeconfig file.", show_default=True
    ),
]
ContextOption = Annotated[
    str | None, typer.Option("--context", help="Kubeconfig context; the current one if unset.")
]
TargetArgument = Annotated[str, typer.Argument(metavar="NS/NAME", help="The Canary.")]
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Who asks (recorded); the kubeconfig user or $USER if unset."),
]
DEFAULT_KUBECONFIG = "~/.kube/config"


class OpsError(Exception):
    """A problem the user can act on, said in one line."""


@dataclass
class Cluster:
    """A connection made from a kubeconfig, with what the commands need to know of it."""

    client: kubernetes.client.ApiClient
    kube: KubeApi
    user: str
    namespace: str


def connect(kubeconfig: str, context: str | None) -> Cluster:
    path = str(Path(kubeconfig).expanduser())
    if not Path(path).exists():
        raise OpsError(f"kubeconfig {path} not found (--kubeconfig or ROOST_KUBECONFIG)")
    try:
        contexts, active = kubernetes.config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
            config_file=path
        )
        chosen = next((c for c in contexts if c["name"] == context), None) if context else active
        if chosen is None:
            raise OpsError(f"kubeconfig {path} has no context {context!r}")
        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=path, context=context, client_configuration=configuration
        )
    except kubernetes.config.ConfigException as e:
        raise OpsError(f"kubeconfig {path}: {e}") from e
    configuration.retries = 1  # an unreachable cluster answers at once, not after retries
    client = kubernetes.client.ApiClient(configuration)
    details = chosen.get("context") or {}
    return Cluster(
        client, KubeApi(client), str(details.get("user") or ""), details.get("namespace") or ""
    )


@contextlib.contextmanager
def session(command: str, kubeconfig: str, context: str | None) -> Iterator[Cluster]:
    """A cluster connection; every failure becomes one line and exit status 2."""
    try:
        cluster = connect(kubeconfig, context)
        try:
            yield cluster
        finally:
            cluster.client.close()  # type: ignore[no-untyped-call]
    except OpsError as e:
        typer.echo(f"roost {command}: {e}", err=True)
        raise typer.Exit(EXIT_PROBLEM) from None
    except (kubernetes.client.ApiException, urllib3.exceptions.HTTPError, OSError) as e:
        typer.echo(
            f"roost {command}: cluster unreachable or refused: {classify(e).detail}", err=True
        )
        raise typer.Exit(EXIT_PROBLEM) from None


def parse_target(text: str) -> tuple[str, str]:
    namespace, _, name = text.partition("/")
    if not namespace or not name or "/" in name:
        raise OpsError(f"expected NS/NAME, got {text!r}")
    return namespace, name


def _ref(namespace: str, name: str) -> ObjectRef:
    return ObjectRef(CANARY_API, "Canary", namespace, name)


def read_canary(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    doc = cluster.kube.get(_ref(namespace, name))
    if doc is None:
        raise OpsError(f"canary {namespace}/{name} not found")
    return doc


def canary_events(cluster: Cluster, namespace: str, name: str) -> list[dict[str, Any]]:
    """The latest Kubernetes events about the Canary, oldest first."""
    core = kubernetes.client.CoreV1Api(cluster.client)
    found = []
    for event in core.list_namespaced_event(namespace).items:
        involved = event.involved_object
        if involved is None or involved.kind != "Canary" or involved.name != name:
            continue
        when = event.last_timestamp or event.event_time or event.first_timestamp
        found.append(
            {
                "time": when.isoformat() if when else "",
                "type": event.type,
                "reason": event.reason,
                "message": event.message,
            }
        )
    found.sort(key=lambda e: str(e["time"]))
    return found[-EVENTS_SHOWN:]


# ------------------------------------------------------------------ reading


def get(
    namespace: Annotated[str | None, typer.Option("-n", "--namespace", help="Namespace.")] = None,
    all_namespaces: Annotated[
        bool, typer.Option("-A", "--all-namespaces", help="Canaries of every namespace.")
    ] = False,
    kubeconfig: KubeconfigOption = DEFAULT_KUBECONFIG,
    context: ContextOption = None,
) -> None:
    """List canaries like ``kubectl get canaries``, with how far each run has got."""
    with session("get", kubeconfig, context) as cluster:
        custom = kubernetes.client.CustomObjectsApi(cluster.client)
        listed: Any
        if all_namespaces:
            listed = custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
        else:
            ns = namespace or cluster.namespace or "default"
            listed = custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)
        docs = sorted(
            listed.get("items") or [],
            key=lambda d: (d["metadata"].get("namespace", ""), d["metadata"]["name"]),
        )
        if not docs:
            typer.echo("No canaries found.")
            return
        columns = ops_text.GET_COLUMNS if all_namespaces else ops_text.GET_COLUMNS[1:]
        rows = [ops_text.get_row(d)[0 if all_namespaces else 1 :] for d in docs]
        for line in ops_text.table(columns, rows):
            typer.echo(line)


def status(
    target: TargetArgument,
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Print again on every change.")] = (
        False
    ),
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Stop watching after this many seconds.")
    ] = None,
    kubeconfig: KubeconfigOption = DEFAULT_KUBECONFIG,
    context: ContextOption = None,
) -> None:
    """Phase, weights, failed checks, conditions and the latest events of one canary."""
    with session("status", kubeconfig, context) as cluster:
        namespace, name = parse_target(target)
        doc = read_canary(cluster, namespace, name)
        shown = _show(cluster, doc, namespace, name, None)
        if not watch:
            return
        try:
            _watch(cluster, namespace, name, shown, timeout)
        except KeyboardInterrupt:
            return


def _show(
    cluster: Cluster, doc: dict[str, Any], namespace: str, name: str, last: str | None
) -> str:
    text = "\n".join(ops_text.status_lines(doc, canary_events(cluster, namespace, name)))
    if text != last:
        if last is not None:
            typer.echo("---")
        typer.echo(text)
    return text


def _watch(cluster: Cluster, namespace: str, name: str, shown: str, timeout: float | None) -> None:
    """Print again whenever the Canary changes; the watch is renewed until ``timeout``."""
    custom = kubernetes.client.CustomObjectsApi(cluster.client)
    deadline = None if timeout is None else time.monotonic() + timeout
    while deadline is None or time.monotonic() < deadline:
        left = 300 if deadline is None else max(1, int(deadline - time.monotonic() + 0.999))
        watcher = kubernetes.watch.Watch()  # type: ignore[no-untyped-call]
        try:
            for event in watcher.stream(  # type: ignore[no-untyped-call]
                custom.list_namespaced_custom_object,
                GROUP,
                VERSION,
                namespace,
                PLURAL,
                field_selector=f"metadata.name={name}",
                timeout_seconds=left,
            ):
                if event["type"] == "DELETED":
                    raise OpsError(f"canary {namespace}/{name} was deleted")
                shown = _show(cluster, event["object"], namespace, name, shown)
                if deadline is not None and time.monotonic() >= deadline:
                    return
        finally:
            watcher.stop()  # type: ignore[no-untyped-call]


# ------------------------------------------------------------------ commands


def _requester(cluster: Cluster, as_: str | None) -> str:
    if as_:
        return as_
    if cluster.user:
        return cluster.user
    return os.environ.get("USER") or getpass.getuser()


def _request(
    name: str,
    command: Command,
    target: str,
    as_: str | None,
    kubeconfig: str,
    context: str | None,
    spec: dict[str, Any] | None = None,
) -> None:
    with session(name, kubeconfig, context) as cluster:
        namespace, canary = parse_target(target)
        read_canary(cluster, namespace, canary)
        by = _requester(cluster, as_)
        body = {
            "command": command.value,
            "id": str(uuid.uuid4()),
            "by": by,
            "at": rfc3339(datetime.now(UTC)),
        }
        patch: dict[str, Any] = {
            "metadata": {"annotations": {COMMAND_ANNOTATION: json.dumps(body)}}
        }
        if spec is not None:
            patch["spec"] = spec
        cluster.kube.patch(_ref(namespace, canary), patch)
        typer.echo(f"{command.value} of {namespace}/{canary} requested by {by} (id {body['id']}).")
        if spec is not None:
            typer.echo(f"spec.suspend is now {str(spec['suspend']).lower()}.")
        typer.echo(
            "The operator acts on it at the canary's next tick and records it in the ledger."
        )


def promote(
    target: TargetArgument,
    as_: AsOption = None,
    kubeconfig: KubeconfigOption = DEFAULT_KUBECONFIG,
    context: ContextOption = None,
) -> None:
    """Skip the remaining analysis and gates of the run in progress and promote now."""
    _request("promote", Command.PROMOTE, target, as_, kubeconfig, context)


def abort(
    target: TargetArgument,
    as_: AsOption = None,
    kubeconfig: KubeconfigOption = DEFAULT_KUBECONFIG,
    context: ContextOption = None,
) -> None:
    """Roll the run in progress back now."""
    _request("abort", Command.ABORT, target, as_, kubeconfig, context)


def retry(
    target: TargetArgument,
    as_: AsOption = None,
    kubeconfig: KubeconfigOption = DEFAULT_KUBECONFIG,
    context: ContextOption = None,
) -> None:
    """Run the revision whose run failed again."""
    _request("retry", Command.RETRY, target, as_, kubeconfig, context)


def pause(
    target: TargetArgument,
    as_: AsOption = None,
    kubeconfig: KubeconfigOption = DEFAULT_KUBECONFIG,
    context: ContextOption = None,
) -> None:
    """Suspend the canary (``spec.suspend: true``): its ticks do nothing until resumed."""
    _request("pause", Command.PAUSE, target, as_, kubeconfig, context, {"suspend": True})


def resume(
    target: TargetArgument,
    as_: AsOption = None,
    kubeconfig: KubeconfigOption = DEFAULT_KUBECONFIG,
    context: ContextOption = None,
) -> None:
    """Lift the suspension (``spec.suspend: false``)."""
    _request("resume", Command.RESUME, target, as_, kubeconfig, context, {"suspend": False})
