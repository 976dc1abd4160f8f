"""Session-wide test guards and the shared fixtures of every topic folder.

Fixture modules live in ``tests/fixtures`` and are registered here, once, so each topic folder's
``conftest.py`` stays small. The guards fail a test that leaves a thread running: a thread started
on purpose for the whole session must carry a name beginning with ``roost-session-``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.apiserver",
    "tests.fixtures.prometheus",
    "tests.fixtures.httpservers",
]

SESSION_THREAD_PREFIX = "roost-session-"


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = {t.ident for t in threading.enumerate()}
    yield
    leaked = [
        t
        for t in threading.enumerate()
        if t.ident not in before
        and t.is_alive()
        and not t.name.startswith(SESSION_THREAD_PREFIX)
        # The interpreter's own helper threads (e.g. concurrent.futures' wake-up thread).
        and not t.daemon
    ]
    if leaked:
        pytest.fail(f"test leaked threads: {[t.name for t in leaked]}")
