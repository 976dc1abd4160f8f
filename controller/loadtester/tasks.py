"""Running load-tester tasks: blocking commands, and background ``cmd`` tasks without duplicates.

Blocking types (``bash``, ``helm``, ``kubectl``) run to completion under the per-command timeout
and answer with their combined output. ``cmd`` tasks start in the background: a ``hey …``
command runs on the built-in generator (:mod:`controller.loadtester.loadgen`), anything else
through ``sh -c``. A ``cmd`` task is identified by ``name.namespace`` plus its command, and a
second submission while the first still runs is skipped — a webhook called every interval must
not stack load tests. Every child process is tracked so ``close`` can end it: the runner never
leaves processes behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
from dataclasses import dataclass
from datetime import timedelta

from controller.loadtester.loadgen import Limits, LoadSpec, generate, is_hey, parse_hey

log = logging.getLogger("roost.loadtester")


@dataclass(frozen=True, slots=True)
class CommandResult:
    """How a blocking command ended."""

    ok: bool
    output: str
    error: str = ""
    """Go-style exit error (``exit status 1``, ``signal: killed``) when not ok."""


def _exit_error(code: int | None) -> str:
    if code is None:
        return "not finished"
    if code < 0:
        return "signal: killed" if code == -9 else f"signal: {-code}"
    return f"exit status {code}"


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def _end(process: asyncio.subprocess.Process) -> None:
    """Kill the process group and wait until the process and its pipes are done."""
    _kill_group(process)
    await process.communicate()


class TaskRunner:
    """Runs tasks for the HTTP handlers; owns every child process it starts."""

    def __init__(self, *, timeout: timedelta, limits: Limits) -> None:
        self.timeout = timeout
        self.limits = limits
        self._running: dict[str, asyncio.Task[None]] = {}
        self._processes: set[asyncio.subprocess.Process] = set()

    @property
    def running(self) -> list[str]:
        """Keys of the background tasks still running."""
        return sorted(self._running)

    async def run(self, argv: list[str]) -> CommandResult:
        """Run ``argv`` to completion (or the timeout); never raises for the command's failure."""
        if shutil.which(argv[0]) is None:
            return CommandResult(
                False, "", f'exec: "{argv[0]}": executable file not found in $PATH'
            )
        # A session of its own: on timeout or shutdown the whole process group is killed, so a
        # `bash -c` that started children leaves none behind.
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._processes.add(process)
        try:
            output, _ = await asyncio.wait_for(
                process.communicate(), timeout=self.timeout.total_seconds()
            )
        except TimeoutError:
            await _end(process)
            return CommandResult(False, "", "signal: killed")
        except asyncio.CancelledError:
            # Shutdown: the process must be gone and its pipes drained before the loop closes.
            await _end(process)
            raise
        finally:
            self._processes.discard(process)
        text = output.decode(errors="replace")
        if process.returncode == 0:
            return CommandResult(True, text)
        return CommandResult(False, text, _exit_error(process.returncode))

    def submit(self, key: str, command: str, *, log_output: bool) -> bool:
        """Start ``command`` in the background unless the same task runs; False when skipped.

        A ``hey`` command is parsed here, so a command the generator cannot run is rejected
        (``LoadSpecError``) while the caller can still answer 400.
        """
        task_key = f"{key} {command}"
        if task_key in self._running:
            log.info("command skipped %s is already running", command)
            return False
        if is_hey(command):
            spec = parse_hey(command, self.limits)
            work = self._load(spec_command=command, key=task_key, spec=spec)
        else:
            work = self._shell(command, key=task_key, log_output=log_output)
        self._running[task_key] = asyncio.get_running_loop().create_task(work)
        return True

    async def _load(self, *, spec_command: str, key: str, spec: LoadSpec) -> None:
        try:
            report = await generate(spec, self.limits)
            log.info("command finished %s: %s", spec_command, report.summary())
        finally:
            self._running.pop(key, None)

    async def _shell(self, command: str, *, key: str, log_output: bool) -> None:
        try:
            result = await self.run(["sh", "-c", command])
            if not result.ok:
                log.error("command failed %s: %s: %s", command, result.output, result.error)
            elif log_output:
                log.info("command finished %s: %s", command, result.output)
        finally:
            self._running.pop(key, None)

    async def close(self) -> None:
        """Cancel background tasks and kill child processes (server shutdown)."""
        for process in list(self._processes):
            _kill_group(process)
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
