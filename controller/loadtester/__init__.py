"""``roost loadtester``: a flagger-loadtester compatible HTTP service (flagger-core §8).

It runs load generation (``hey`` command lines on a built-in generator, other ``cmd`` tasks
through ``sh -c``), blocking ``bash`` / ``helm`` / ``kubectl`` commands, and the manual gates
(``/gate/*``, ``/rollback/*``) Canary webhooks point at. Beyond Flagger, gate state survives a
restart and every open/close is logged with who and when (``/gate/log``), so the operator can
put approvals in its ledger. A controller-layer service: it uses neither the ledger nor the
reducers' decider, and keeps its own small SQLite file.

Modules: ``settings`` (``LoadTesterSettings``), ``gates`` (``GateStore``), ``loadgen`` (``hey``
parser and generator), ``tasks`` (``TaskRunner``), ``handlers`` (the aiohttp routes),
``serving`` (``serve`` and ``LoadTesterThread``).
"""

from controller.loadtester.gates import GateChange, GateLogRecord, GateStore
from controller.loadtester.handlers import ACTOR_HEADER, ACTOR_PARAM, make_app
from controller.loadtester.loadgen import Limits, LoadSpec, LoadSpecError, parse_hey
from controller.loadtester.serving import LoadTesterThread, serve
from controller.loadtester.settings import LoadTesterSettings
from controller.loadtester.tasks import TaskRunner

__all__ = [
    "ACTOR_HEADER",
    "ACTOR_PARAM",
    "GateChange",
    "GateLogRecord",
    "GateStore",
    "Limits",
    "LoadSpec",
    "LoadSpecError",
    "LoadTesterSettings",
    "LoadTesterThread",
    "TaskRunner",
    "make_app",
    "parse_hey",
    "serve",
]
