"""A scripted world for ``roost simulate``: canary runs without a cluster.

``scripts`` reads the script format, ``world`` turns script steps into observation events and
applies decided effects, ``running`` drives ticks through the real decider (and, optionally, into
a ledger exactly as the operator records them). Product logic stays in ``reducers``; the world
only answers questions the way a cluster, Prometheus and webhook servers would.
"""

from controller.simulation.running import (
    SimulationError,
    TickReport,
    default_script,
    simulate,
)
from controller.simulation.scripts import Script, ScriptError, Step, load_script

__all__ = [
    "Script",
    "ScriptError",
    "SimulationError",
    "Step",
    "TickReport",
    "default_script",
    "load_script",
    "simulate",
]
