"""``roost render CANARY.yaml --target WORKLOAD.yaml ...``: print what Roost would write.

Offline and read-only: decodes the files, hands everything to
:func:`effects.rendering.render_canary` and prints the manifests (multi-document YAML, or a JSON
list). It owns only file handling and argument parsing; every rule lives in ``effects``. Any
problem — unreadable file, invalid Canary, missing ConfigMap, bad ``--routes`` — is printed as
one line naming it, and the exit status is 2.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import yaml

from controller.cli.validating import load_documents
from effects.errors import EffectsError
from effects.rendering import RenderRequest, render_canary
from effects.routing import LiveKey, RouterSettings, Routes
from effects.routing.base import live_key
from effects.settings import DEFAULT_SELECTOR_LABELS, WorkloadSettings
from reducers.spec import Canary, Phase, SpecError, parse_provider, validate_document

EXIT_PROBLEM = 2
_CORE_KINDS = frozenset({"ConfigMap", "Secret", "Service"})
_SCALER_KINDS = frozenset({"HorizontalPodAutoscaler", "ScaledObject"})


class OutputFormat(StrEnum):
    """How the manifests are printed."""

    YAML = "yaml"
    JSON = "json"


def _fail(message: str) -> NoReturn:
    typer.echo(f"roost render: {message}", err=True)
    raise typer.Exit(EXIT_PROBLEM)


def _documents(path: Path, what: str) -> list[Any]:
    try:
        docs = load_documents(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        _fail(f"{path}: cannot read {what}: {e}")
    except yaml.YAMLError as e:
        _fail(f"{path}: invalid YAML: {e}")
    for doc in docs:
        if not isinstance(doc, dict):
            _fail(f"{path}: a {what} document must be a mapping")
    return docs


def _canary(path: Path) -> Canary:
    docs = [d for d in _documents(path, "Canary") if d.get("kind") == "Canary"]
    if len(docs) != 1:
        _fail(f"{path}: expected exactly one Canary, found {len(docs)}")
    result = validate_document(docs[0])
    if isinstance(result, list):
        _fail(f"{path}: invalid Canary: " + "; ".join(str(p) for p in result))
    if not isinstance(result, Canary):
        _fail(f"{path}: not a Canary")
    return result


def _routes(text: str | None) -> Routes:
    if text is None:
        return Routes()
    parts = [p.strip() for p in text.split(",")]
    try:
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "mirror"):
            raise ValueError
        primary, canary = int(parts[0]), int(parts[1])
    except ValueError:
        _fail(f"--routes {text!r}: expected PRIMARY,CANARY[,mirror], e.g. 90,10")
    if not (0 <= primary <= 100 and 0 <= canary <= 100 and primary + canary == 100):
        _fail(f"--routes {text!r}: weights must be 0-100 and add up to 100")
    return Routes(primary, canary, mirrored=len(parts) == 3)


def _phase(text: str) -> Phase:
    try:
        return Phase(text)
    except ValueError:
        known = ", ".join(p.value for p in Phase if p.value)
        _fail(f"--phase {text!r}: expected one of {known}")


def render(
    canary: Annotated[Path, typer.Argument(help="File holding one Canary.", show_default=False)],
    target: Annotated[
        Path, typer.Option("--target", help="File holding the target workload.", show_default=False)
    ],
    resource: Annotated[
        list[Path] | None,
        typer.Option(
            "--resource",
            help="Live objects: ConfigMaps, Secrets, HPAs, ScaledObjects, Services, and router "
            "objects or the Ingress/ApisixRoute/Upstream/Knative Service a router reads.",
        ),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider", help="Provider to render for; default spec.provider, else istio."
        ),
    ] = None,
    routes: Annotated[
        str | None, typer.Option("--routes", help="Traffic split PRIMARY,CANARY[,mirror].")
    ] = None,
    phase: Annotated[str, typer.Option("--phase", help="Canary phase to render for.")] = "",
    output: Annotated[OutputFormat, typer.Option("-o", "--output", help="yaml or json.")] = (
        OutputFormat.YAML
    ),
    selector_labels: Annotated[
        str, typer.Option("--selector-labels", help="Selector label keys, in order.")
    ] = ",".join(DEFAULT_SELECTOR_LABELS),
    include_label_prefix: Annotated[
        str, typer.Option("--include-label-prefix", help="Label prefixes copied to primaries.")
    ] = "",
    ingress_class: Annotated[
        str, typer.Option("--ingress-class", help="Contour ingress class.")
    ] = "",
    ingress_annotations_prefix: Annotated[
        str,
        typer.Option("--ingress-annotations-prefix", help="NGINX canary annotation prefix."),
    ] = RouterSettings().nginx_annotations_prefix,
) -> None:
    """Print every object Roost would create or update for a canary in a phase.

    Objects are sorted by apiVersion, kind and name. Problems print one line and exit 2.
    """
    model = _canary(canary)
    targets = _documents(target, "target")
    if len(targets) != 1:
        _fail(f"{target}: expected exactly one target workload, found {len(targets)}")
    resources: dict[tuple[str, str], dict[str, Any]] = {}
    live: dict[LiveKey, dict[str, Any]] = {}
    for path in resource or []:
        for doc in _documents(path, "resource"):
            kind, name = doc.get("kind"), (doc.get("metadata") or {}).get("name")
            if not kind or not name or not doc.get("apiVersion"):
                _fail(f"{path}: a resource needs apiVersion, kind and metadata.name")
            core = doc["apiVersion"] == "v1" and kind in _CORE_KINDS
            if core or kind in _SCALER_KINDS:
                resources[(str(kind), str(name))] = doc
            live[live_key(doc)] = doc
    wanted = provider or (str(model.spec.provider) if model.spec.provider else "istio")
    try:
        choice = parse_provider(wanted)
    except SpecError as e:
        _fail(str(e))
    request = RenderRequest(
        canary=model,
        target=targets[0],
        provider=choice,
        resources=resources,
        settings=WorkloadSettings.from_flags(selector_labels, include_label_prefix),
        phase=_phase(phase),
        routes=_routes(routes),
        live=live,
        router_settings=RouterSettings(
            ingress_class=ingress_class, nginx_annotations_prefix=ingress_annotations_prefix
        ),
    )
    try:
        rendered = render_canary(request)
    except EffectsError as e:
        _fail(str(e))
    for note in rendered.notes:
        typer.echo(f"note: {note}", err=True)
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(rendered.objects, indent=2))
    else:
        typer.echo(yaml.safe_dump_all(rendered.objects, sort_keys=False), nl=False)
