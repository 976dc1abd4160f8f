"""Flagger's own examples: every complete manifest is accepted, every fragment is rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from reducers.spec import Problem, SpecModel, validate_document
from tests.spec.conftest import COMPLETE, FRAGMENTS, load_all

MISSING = "required field is missing"
NO_TARGET_NO_ANALYSIS = {("spec.targetRef", MISSING), ("spec.analysis", MISSING)}
NO_PORT = {("spec.service.port", MISSING)}
NO_METADATA = {("metadata", MISSING)}

# Each fragment, with exactly the problems it must produce (path, message).
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "alertprovider-docs_gitbook_usage_alerting-2f304db4": {
        ("spec.secretRef", "address and secretRef are mutually exclusive: set exactly one")
    },
    "canary-docs_gitbook_faq-1672cb30": NO_TARGET_NO_ANALYSIS,
    "canary-docs_gitbook_faq-189bca31": NO_TARGET_NO_ANALYSIS,
    "canary-docs_gitbook_faq-3b61682a": NO_TARGET_NO_ANALYSIS,
    "canary-docs_gitbook_faq-626d4777": {("spec.analysis", MISSING)},
    "canary-docs_gitbook_faq-7239349a": NO_METADATA | NO_TARGET_NO_ANALYSIS | NO_PORT,
    "canary-docs_gitbook_faq-bff58bda": NO_TARGET_NO_ANALYSIS,
    "canary-docs_gitbook_faq-e9c49cce": NO_METADATA | NO_TARGET_NO_ANALYSIS,
    "canary-docs_gitbook_faq-f900e002": NO_METADATA | NO_TARGET_NO_ANALYSIS | NO_PORT,
    "canary-docs_gitbook_tutorials_gatewayapi-progressive-delivery-09089b3c": (
        NO_TARGET_NO_ANALYSIS | NO_PORT
    ),
    "canary-docs_gitbook_tutorials_gatewayapi-progressive-delivery-1c34d377": (
        NO_TARGET_NO_ANALYSIS | NO_PORT
    ),
    "canary-docs_gitbook_tutorials_gatewayapi-progressive-delivery-8ccc6344": (
        NO_TARGET_NO_ANALYSIS | NO_PORT
    ),
    "canary-docs_gitbook_tutorials_gatewayapi-progressive-delivery-9f046e35": (
        NO_TARGET_NO_ANALYSIS | NO_PORT
    ),
    "canary-docs_gitbook_tutorials_gatewayapi-progressive-delivery-da15b0b4": (
        NO_TARGET_NO_ANALYSIS | NO_PORT
    ),
    "canary-docs_gitbook_tutorials_istio-progressive-delivery-a5502e0f": (
        NO_METADATA | NO_TARGET_NO_ANALYSIS
    ),
    "canary-docs_gitbook_tutorials_istio-progressive-delivery-c7e606a0": {
        ("spec.targetRef", MISSING)
    },
    "canary-docs_gitbook_tutorials_zero-downtime-deployments-6bc94445": (
        NO_METADATA | NO_TARGET_NO_ANALYSIS
    ),
    "metrictemplate-docs_gitbook_usage_metrics-54cf458d": {("spec.query", MISSING)},
    "metrictemplate-docs_gitbook_usage_metrics-92e8f364": {("spec.query", MISSING)},
}


def test_the_conformance_set_is_all_there() -> None:
    assert len(COMPLETE) == 48
    assert len(FRAGMENTS) == 19
    assert {path.stem for path in FRAGMENTS} == set(EXPECTED)


@pytest.mark.parametrize("path", COMPLETE, ids=lambda p: p.stem)
def test_complete_manifest_is_valid_and_round_trips(path: Path) -> None:
    (document,) = load_all(path)
    result = validate_document(document)
    assert isinstance(result, SpecModel), [str(p) for p in result]
    assert result.to_document() == document


@pytest.mark.parametrize("path", FRAGMENTS, ids=lambda p: p.stem)
def test_fragment_is_rejected_naming_the_field(path: Path) -> None:
    (document,) = load_all(path)
    result = validate_document(document)
    assert isinstance(result, list)
    assert all(isinstance(problem, Problem) for problem in result)
    assert {(problem.path, problem.message) for problem in result} == EXPECTED[path.stem]
    assert {problem.kind for problem in result} == {document["kind"]}
