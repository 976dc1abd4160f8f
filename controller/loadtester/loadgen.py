"""A built-in HTTP load generator that understands ``hey`` command lines.

Flagger's loadtester image ships ``hey`` and runs ``cmd`` tasks through ``sh -c``. Roost runs
``hey …`` commands itself, so the usual webhook metadata (``hey -z 1m -q 10 -c 2 http://…``)
works without external binaries. Only the flags below are understood; any other flag is an
error reported when the task is submitted (unknown names are errors, never ignored). The load is
bounded by ``Limits``: a command asking for more workers or a longer run is rejected rather than
silently trimmed.
"""

from __future__ import annotations

import asyncio
import shlex
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from reducers.spec.durations import parse_go_duration
from reducers.spec.errors import DurationError


class LoadSpecError(ValueError):
    """A ``hey`` command line Roost cannot run."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Upper bounds of one load test."""

    max_workers: int = 100
    max_duration: timedelta = timedelta(hours=1)
    max_requests: int = 1_000_000


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """One ``hey`` run."""

    url: str
    requests: int = 200
    """``-n``; ignored when ``duration`` is set."""
    workers: int = 50
    """``-c``."""
    rate: float = 0.0
    """``-q``: requests per second per worker; 0 means as fast as possible."""
    duration: timedelta | None = None
    """``-z``."""
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    timeout: float = 20.0
    """``-t`` seconds per request."""


@dataclass
class LoadReport:
    """What a run did, as counts (logged and returned, never timed by tests)."""

    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.statuses.values()) + sum(self.errors.values())

    def summary(self) -> str:
        codes = ", ".join(f"[{code}] {n}" for code, n in sorted(self.statuses.items()))
        failed = ", ".join(f"{kind} {n}" for kind, n in sorted(self.errors.items()))
        return (
            f"requests: {self.total}; status codes: {codes or 'none'}; errors: {failed or 'none'}"
        )


_VALUE_FLAGS = {"-n", "-c", "-q", "-z", "-m", "-H", "-t", "-d", "-T", "-A"}


def is_hey(command: str) -> bool:
    """Whether ``command`` is a ``hey`` invocation this module runs."""
    words = command.split(maxsplit=1)
    return bool(words) and words[0] == "hey"


def _number(flag: str, text: str, kind: type[int] | type[float]) -> float:
    try:
        value = kind(text)
    except ValueError as e:
        raise LoadSpecError(f"hey: {flag} needs a number, got {text!r}") from e
    if value < 0:
        raise LoadSpecError(f"hey: {flag} must not be negative")
    return value


def parse_hey(command: str, limits: Limits) -> LoadSpec:
    """Read a ``hey`` command line; raise :class:`LoadSpecError` for anything unsupported."""
    try:
        words = shlex.split(command)
    except ValueError as e:
        raise LoadSpecError(f"hey: {e}") from e
    if not words or words[0] != "hey":
        raise LoadSpecError("not a hey command")
    values: dict[str, str] = {}
    headers: list[tuple[str, str]] = []
    url = None
    rest = iter(words[1:])
    for word in rest:
        if word in _VALUE_FLAGS:
            value = next(rest, None)
            if value is None:
                raise LoadSpecError(f"hey: flag {word} needs a value")
            if word == "-H":
                name, sep, text = value.partition(":")
                if not sep:
                    raise LoadSpecError(f"hey: header {value!r} is not 'Name: value'")
                headers.append((name.strip(), text.strip()))
            else:
                values[word] = value
        elif word.startswith("-"):
            raise LoadSpecError(f"hey: flag {word} is not supported by the built-in generator")
        elif url is None:
            url = word
        else:
            raise LoadSpecError(f"hey: unexpected argument {word!r}")
    if url is None or not url.startswith(("http://", "https://")):
        raise LoadSpecError("hey: an http:// or https:// URL is required")
    for name, flag in (("Content-Type", "-T"), ("Accept", "-A")):
        if flag in values:
            headers.append((name, values[flag]))
    duration = None
    if "-z" in values:
        try:
            duration = parse_go_duration(values["-z"])
        except DurationError as e:
            raise LoadSpecError(f"hey: -z: {e}") from e
    spec = LoadSpec(
        url=url,
        requests=int(_number("-n", values.get("-n", "200"), int)),
        workers=int(_number("-c", values.get("-c", "50"), int)),
        rate=_number("-q", values.get("-q", "0"), float),
        duration=duration,
        method=values.get("-m", "GET").upper(),
        headers=tuple(headers),
        body=values.get("-d", "").encode(),
        timeout=_number("-t", values.get("-t", "20"), float) or 20.0,
    )
    _check(spec, limits)
    return spec


def _check(spec: LoadSpec, limits: Limits) -> None:
    if not 1 <= spec.workers <= limits.max_workers:
        raise LoadSpecError(f"hey: -c must be between 1 and {limits.max_workers}")
    if spec.duration is not None and spec.duration > limits.max_duration:
        raise LoadSpecError(f"hey: -z must not exceed {limits.max_duration}")
    if spec.duration is None and not 1 <= spec.requests <= limits.max_requests:
        raise LoadSpecError(f"hey: -n must be between 1 and {limits.max_requests}")


async def _worker(
    client: httpx.AsyncClient,
    spec: LoadSpec,
    report: LoadReport,
    budget: list[int],
    deadline: float,
) -> None:
    loop = asyncio.get_running_loop()
    interval = 1.0 / spec.rate if spec.rate > 0 else 0.0
    next_at = loop.time()
    while loop.time() < deadline and (spec.duration is not None or budget[0] > 0):
        if spec.duration is None:
            budget[0] -= 1
        try:
            response = await client.request(
                spec.method, spec.url, content=spec.body or None, headers=list(spec.headers)
            )
            report.statuses[response.status_code] += 1
        except httpx.HTTPError as e:
            report.errors[type(e).__name__] += 1
        if interval:
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))
        else:
            await asyncio.sleep(0)


async def generate(spec: LoadSpec, limits: Limits) -> LoadReport:
    """Run the load described by ``spec`` and count the answers."""
    report = LoadReport()
    loop = asyncio.get_running_loop()
    longest = spec.duration or limits.max_duration
    deadline = loop.time() + longest.total_seconds()
    budget = [spec.requests]
    # hey itself never verifies certificates; load targets are in-cluster Services.
    async with httpx.AsyncClient(timeout=spec.timeout, verify=False) as client:
        await asyncio.gather(
            *(_worker(client, spec, report, budget, deadline) for _ in range(spec.workers))
        )
    return report
