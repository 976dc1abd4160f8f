"""``kubernetes``: plain ClusterIP Services and no router objects (flagger-objects §3.14).

Traffic follows the apex Service's selector, so the only split this provider expresses is all
to the primary or all to the canary, switched by the workloads themselves: Flagger forces
blue/green for it (no ``match``, at least one iteration) and reads the split from the canary's
status, which the reducers do (:func:`reducers.canary.ticking.kubernetes_routes`). Here the
router owns nothing; :meth:`read_routes` reports what the status says for a caller that only
has the Canary.
"""

from __future__ import annotations

from effects.kubeapi import ObjectRef
from effects.routing.base import RouterInput, RouterPlan, Routes


class KubernetesRouter:
    """No objects, no reads; blue/green by the workloads."""

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        return []

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        return RouterPlan()

    def read_routes(self, inp: RouterInput) -> Routes:
        status = inp.canary.status
        iterations = (status.iterations if status else None) or 0
        return Routes(0, 100) if iterations > 0 else Routes(100, 0)

    def finalize(self, inp: RouterInput) -> RouterPlan:
        return RouterPlan()
