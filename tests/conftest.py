"""Session-wide test guards and the shared fixtures of every topic folder.

Fixture modules live in ``tests/fixtures`` and are registered here, once, so each topic folder's
``conftest.py`` stays small. The guards fail a test that leaves a thread or a child process
running: a thread started on purpose for the whole session must carry a name beginning with
``roost-session-``, and a session-long process must register its pid in
``tests.guards.SESSION_PIDS``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.guards import SESSION_PIDS, running_children

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.apiserver",
    "tests.fixtures.prometheus",
    "tests.fixtures.httpservers",
]

SESSION_THREAD_PREFIX = "roost-session-"


@pytest.fixture(autouse=True)
def _no_leaked_threads_or_processes() -> Iterator[None]:
    before = {t.ident for t in threading.enumerate()}
    children_before = running_children()
    yield
    stray = running_children() - children_before - SESSION_PIDS
    if stray:
        pytest.fail(f"test left child processes running: pids {sorted(stray)}")
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
