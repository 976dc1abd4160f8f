"""``roost validate FILE...``: check Flagger manifests offline, one line per problem.

Reads every YAML document of every file (multi-document files welcome, empty documents skipped),
validates each with :func:`reducers.spec.validate_document` and prints problems in a stable,
grep-able form. It owns only the file and YAML handling; what is valid is decided in
``reducers.spec``.

YAML is read the way the API server reads it: timestamps stay strings (PyYAML would otherwise turn
``2024-01-01T00:00:00Z`` into a ``datetime`` that no string field accepts).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from reducers.spec import Problem, validate_document

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


class _KubeYamlLoader(yaml.SafeLoader):
    """A safe loader that leaves timestamps as text, like Kubernetes' YAML decoder."""


_KubeYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Report:
    """What one run found: problem lines, file errors and the kinds that were valid."""

    lines: list[str] = field(default_factory=list)
    unreadable: int = 0
    problems: int = 0
    valid: Counter[str] = field(default_factory=Counter)

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return EXIT_UNREADABLE
        return EXIT_INVALID if self.problems else EXIT_OK


def load_documents(text: str) -> list[Any]:
    """Every non-empty document of a YAML stream (raises ``yaml.YAMLError``)."""
    return [doc for doc in yaml.load_all(text, Loader=_KubeYamlLoader) if doc is not None]


def check_file(path: Path, report: Report) -> None:
    """Validate every document of one file into ``report``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        report.lines.append(f"{path}: cannot read file: {reason}")
        report.unreadable += 1
        return
    try:
        documents = load_documents(text)
    except yaml.YAMLError as error:
        report.lines.append(_yaml_error_line(path, error))
        report.unreadable += 1
        return
    for doc in documents:
        result = validate_document(doc)
        if isinstance(result, list):
            report.lines.extend(_problem_line(path, problem) for problem in result)
            report.problems += len(result)
        else:
            report.valid[result.kind] += 1


def _problem_line(path: Path, problem: Problem) -> str:
    return f"{path}: {problem}"


def _yaml_error_line(path: Path, error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    reason = getattr(error, "problem", None) or str(error)
    return f"{where}: invalid YAML: {reason}"


def _summary(report: Report, files: int) -> str:
    total = sum(report.valid.values())
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.valid.items()))
    detail = f" ({kinds})" if kinds else ""
    return f"OK: {total} document(s) in {files} file(s){detail}"


def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="YAML files with Canary, MetricTemplate and AlertProvider documents."),
    ],
) -> None:
    """Validate Flagger resources (flagger.app/v1beta1) without a cluster.

    Prints one line per problem, FILE: Kind/name: field.path: message, and exits 1.

    A file that cannot be read or is not valid YAML prints FILE[:LINE]: message and exits 2
    (2 wins over 1).

    Documents of any other kind are problems. When every document is valid, prints a one-line
    summary and exits 0.
    """
    report = Report()
    for path in files:
        check_file(path, report)
    for line in report.lines:
        typer.echo(line)
    if report.exit_code == EXIT_OK:
        typer.echo(_summary(report, len(files)))
    else:
        typer.echo(
            f"{report.problems} problem(s), {report.unreadable} unreadable file(s)", err=True
        )
    raise typer.Exit(report.exit_code)
