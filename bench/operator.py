"""Operator benchmark: N canaries in the sandbox, ticking at their interval for a few minutes.

Not a test; it asserts nothing about speed. For each N (default 100 and 1,000) the parent
process starts a sandbox (API double + workload simulator), creates N Deployments and N Canaries
(istio, no metrics, no webhooks: steady-state ticks that observe and decide nothing) and runs the
operator — the same ``Process`` ``roost run`` serves, with a fresh SQLite ledger — in a child
process, so the operator's CPU and memory are its own and not the sandbox's. The child waits
until every canary is Initialized, then measures over ``--ticks`` intervals:

- tick lag p50/p99: when a tick started (``TickReport.at``, taken at its start) minus when
  APScheduler meant it to run (the job's ``scheduled_run_time``), read from a scheduler listener
  — queueing for a worker included, no hook in the operator needed;
- tick body p50/p99: ``TickReport.seconds`` (observe, decide, append, apply), to tell a tick
  that waited for a worker from one that was slow;
- CPU: the process's user + system time / wall time (1.0 = one core);
- RSS: ``VmRSS`` at the end and ``VmHWM`` (peak) from ``/proc/self/status``;
- API calls per tick: every HTTP request of the operator's ``ApiClient`` (a subclass counting
  ``call_api``; watches count once per connection) / ticks run;
- ledger events per second: the ledger's head position, before and after.

Baseline in the same run: the same kind of quiet ticks through the simulator
(``controller.simulation``, no API calls) into a SQLite ledger: CPU per tick of the pure core and
the ledger alone. Target (docs/performance.md): 1,000 canaries with p99 lag < 1 s on < 1 core and
< 300 MB RSS.

The interval is 10 s; when ``--ticks`` intervals would exceed ``--budget`` seconds the interval is
scaled down (same tick count, more ticks per second: a harder test) and the output says so.
Run: ``.venv/bin/python bench/operator.py [--canaries 100 1000] [--ticks 12] [--budget 200]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/operator.py``, this file's folder heads sys.path; ``bench/ledger.py`` would
# shadow the ``ledger`` package.
sys.path.remove(str(Path(__file__).resolve().parent))

import argparse
import json
import os
import resource
import subprocess
import tempfile
import threading
import time
from datetime import timedelta
from typing import Any

import kubernetes.client
import kubernetes.config
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent

from controller import demo
from controller.operator.process import Process, RunConfig
from controller.operator.world import OperatorSettings
from controller.sandbox.running import Sandbox, SandboxSettings
from controller.simulation import load_script, simulate
from ledger import Ledger
from ledger.engines import Synchronous
from reducers.spec import Canary, Phase

ROOT = Path(__file__).resolve().parents[1]
NS = "bench"


class CountingApiClient(kubernetes.client.ApiClient):
    """The official client, counting every HTTP request it sends."""

    def __init__(self, configuration: kubernetes.client.Configuration) -> None:
        super().__init__(configuration)
        self.calls = 0
        self._lock = threading.Lock()

    def call_api(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.calls += 1
        return super().call_api(*args, **kwargs)


def deployment(name: str) -> dict[str, Any]:
    return demo.deployment("podinfo:1", name=name, namespace=NS, replicas=1)


def canary(name: str, interval: float) -> dict[str, Any]:
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "provider": "istio",
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "service": {"port": 9898},
            "analysis": {"interval": f"{interval:g}s", "threshold": 2, "stepWeight": 20},
        },
    }


def proc_status(field: str) -> float:
    """A ``kB`` line of /proc/self/status, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------------- the operator's process


def child(args: argparse.Namespace) -> None:
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=args.kubeconfig, client_configuration=configuration
    )
    client = CountingApiClient(configuration)
    interval = timedelta(seconds=args.interval)
    config = RunConfig(
        ledger=args.ledger,
        settings=OperatorSettings(mesh_provider="istio", min_interval=interval),
        host="127.0.0.1",
        port=0,
        workers=args.workers,
        namespace=NS,
    )
    process = Process(config, client)
    lags: list[float] = []
    durations: list[float] = []
    lock = threading.Lock()

    def executed(event: JobExecutionEvent) -> None:
        namespace, _, name = str(event.job_id).partition("/")
        runner = process.operator.runners.get((namespace, name))
        if runner is None or runner.last is None:
            return
        lag = (runner.last.at - event.scheduled_run_time).total_seconds()
        if lag >= -0.01:  # else the tick did not run (its report is from an earlier one)
            with lock:
                lags.append(max(lag, 0.0))
                durations.append(runner.last.seconds)

    started = time.monotonic()
    process.start()
    try:
        assert process.operator.scheduler is not None
        process.operator.scheduler.add_listener(executed, EVENT_JOB_EXECUTED)
        deadline = started + args.setup_timeout
        while time.monotonic() < deadline:
            runners = list(process.operator.runners.values())
            ready = sum(
                1 for r in runners if r.state is not None and r.state.phase is Phase.INITIALIZED
            )
            if ready >= args.canaries:
                break
            time.sleep(0.5)
        setup = time.monotonic() - started
        time.sleep(args.interval)  # let the initialization's prompt ticks settle
        with lock:
            lags.clear()
            durations.clear()
        wall0, cpu0, calls0 = time.monotonic(), cpu_seconds(), client.calls
        position0, _ = process.ledger.head()
        time.sleep(args.ticks * args.interval)
        wall, cpu = time.monotonic() - wall0, cpu_seconds() - cpu0
        calls = client.calls - calls0
        position, _ = process.ledger.head()
        with lock:
            window, took = list(lags), list(durations)
        result = {
            "canaries": args.canaries,
            "initialized": ready,
            "setup_s": setup,
            "wall_s": wall,
            "ticks": len(window),
            "lag_p50_s": percentile(window, 0.50),
            "lag_p99_s": percentile(window, 0.99),
            "lag_max_s": max(window, default=float("nan")),
            "tick_p50_s": percentile(took, 0.50),
            "tick_p99_s": percentile(took, 0.99),
            "cpu_cores": cpu / wall,
            "cpu_ms_per_tick": 1000 * cpu / max(len(window), 1),
            "rss_mb": proc_status("VmRSS"),
            "peak_rss_mb": proc_status("VmHWM"),
            "api_calls_per_tick": calls / max(len(window), 1),
            "ledger_events_per_s": (position - position0) / wall,
            "ledger_events_per_tick": (position - position0) / max(len(window), 1),
        }
    finally:
        process.stop()
        client.close()  # type: ignore[no-untyped-call]
    print(json.dumps(result))


# ---------------------------------------------------------------------- the parent


def run_operator(
    n: int, args: argparse.Namespace, interval: float, scratch: Path
) -> dict[str, Any]:
    settings = SandboxSettings(
        kubeconfig_out=scratch / f"kubeconfig-{n}",
        crds=ROOT / "deploy" / "crds",
        ready_after=timedelta(seconds=0.5),
    )
    sandbox = Sandbox(settings, thread_name="bench-sandbox")
    info = sandbox.start()
    client = kubernetes.client.ApiClient(sandbox.server.configuration())
    try:
        core = kubernetes.client.CoreV1Api(client)
        core.create_namespace({"metadata": {"name": NS}})
        apps = kubernetes.client.AppsV1Api(client)
        custom = kubernetes.client.CustomObjectsApi(client)
        for i in range(n):
            apps.create_namespaced_deployment(NS, deployment(f"app-{i}"))
            custom.create_namespaced_custom_object(
                "flagger.app", "v1beta1", NS, "canaries", canary(f"app-{i}", interval)
            )
        argv = [
            sys.executable, __file__, "--child", "--kubeconfig", str(info.kubeconfig),
            "--ledger", str(scratch / f"ledger-{n}.db"), "--interval", str(interval),
            "--ticks", str(args.ticks), "--canaries", str(n), "--workers", str(args.workers),
            "--setup-timeout", str(args.setup_timeout),
        ]  # fmt: skip
        log = (scratch / f"operator-{n}.log").open("w")
        with log:
            done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=log, text=True, check=False)
        if done.returncode != 0:
            tail = (scratch / f"operator-{n}.log").read_text()[-3000:]
            raise SystemExit(f"the operator child failed ({done.returncode}):\n{tail}")
        found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return found
    finally:
        client.close()  # type: ignore[no-untyped-call]
        sandbox.stop()


def run_baseline(n: int, ticks: int, scratch: Path) -> dict[str, float]:
    """Quiet ticks through the simulator into a SQLite ledger: no API, no scheduler."""
    canaries = min(n, max(1, 2_000 // max(ticks, 1)))
    script = load_script([{} for _ in range(ticks)])
    path = scratch / f"baseline-{n}.db"
    with Ledger.open(str(path), synchronous=Synchronous.FULL) as ledger:
        wall0, cpu0 = time.perf_counter(), cpu_seconds()
        for i in range(canaries):
            doc = canary(f"app-{i}", 10)
            simulate(Canary.model_validate(doc), script, ledger=ledger)
        wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
        events, _ = ledger.head()
    done = canaries * ticks
    return {
        "ticks": done,
        "cpu_ms_per_tick": 1000 * cpu / done,
        "ticks_per_cpu_s": done / cpu,
        "events_per_tick": events / done,
        "wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--canaries", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--ticks", type=int, default=12, help="Intervals measured per N.")
    parser.add_argument("--interval", type=float, default=10.0, help="Seconds between ticks.")
    parser.add_argument("--budget", type=float, default=200.0, help="Longest window, seconds.")
    parser.add_argument("--workers", type=int, default=8, help="The operator's tick pool.")
    parser.add_argument("--setup-timeout", type=float, default=300.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", help=argparse.SUPPRESS)
    parser.add_argument("--ledger", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.canaries = args.canaries[0]
        child(args)
        return
    interval = args.interval
    if args.ticks * interval > args.budget:
        interval = max(1.0, args.budget / args.ticks)
        print(
            f"interval scaled from {args.interval:g} s to {interval:g} s "
            f"({args.ticks} ticks would exceed {args.budget:g} s)"
        )
    print(f"interval {interval:g} s, {args.ticks} intervals measured, {args.workers} workers")
    print(f"{os.cpu_count()} CPUs, {sys.implementation.name} {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as scratch:
        for n in args.canaries:
            base = run_baseline(n, args.ticks, Path(scratch))
            got = run_operator(n, args, interval, Path(scratch))
            print(f"\nN = {n} canaries (setup {got['setup_s']:.0f} s, {got['initialized']} ready)")
            print(
                f"  ticks {got['ticks']} in {got['wall_s']:.0f} s; lag p50 "
                f"{got['lag_p50_s'] * 1000:.1f} ms, p99 {got['lag_p99_s'] * 1000:.1f} ms, "
                f"max {got['lag_max_s'] * 1000:.1f} ms; tick body p50 "
                f"{got['tick_p50_s'] * 1000:.1f} ms, p99 {got['tick_p99_s'] * 1000:.1f} ms"
            )
            print(
                f"  CPU {got['cpu_cores']:.2f} cores ({got['cpu_ms_per_tick']:.1f} ms/tick); "
                f"RSS {got['rss_mb']:.0f} MB (peak {got['peak_rss_mb']:.0f} MB)"
            )
            print(
                f"  API calls/tick {got['api_calls_per_tick']:.1f}; ledger "
                f"{got['ledger_events_per_s']:.0f} events/s "
                f"({got['ledger_events_per_tick']:.1f}/tick)"
            )
            print(
                f"  baseline (simulator, no API): {base['cpu_ms_per_tick']:.2f} ms CPU/tick "
                f"over {base['ticks']:.0f} ticks, {base['events_per_tick']:.1f} events/tick; "
                f"operator/baseline CPU per tick "
                f"{got['cpu_ms_per_tick'] / base['cpu_ms_per_tick']:.1f}x"
            )
            met = got["lag_p99_s"] < 1 and got["cpu_cores"] < 1 and got["peak_rss_mb"] < 300
            print(f"  target (p99 lag < 1 s, < 1 core, < 300 MB): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
