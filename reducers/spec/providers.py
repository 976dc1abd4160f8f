"""Reading a traffic-provider name given outside a Canary (the operator-wide default).

``spec.provider`` is a closed enum (:class:`~reducers.spec.enums.Provider`), exactly as Flagger's
CRD has it. The operator-wide default is free text in Flagger (its ``-mesh-provider`` flag), which
also understands SMI providers qualified by the mesh that implements them
(``smi:v1alpha3:linkerd``) and quietly routes anything unrecognised through Istio. Roost reads the
same names, keeps the mesh qualifier, and rejects everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reducers.spec.enums import Provider
from reducers.spec.errors import UnknownProviderError

_SMI = frozenset({Provider.SMI_V1ALPHA1, Provider.SMI_V1ALPHA2, Provider.SMI_V1ALPHA3})
_MESH = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class ProviderChoice:
    """A provider, and for SMI the mesh implementing it (`smi:v1alpha3:linkerd`)."""

    provider: Provider
    mesh: str | None = None

    def __str__(self) -> str:
        return f"{self.provider}:{self.mesh}" if self.mesh else str(self.provider)


def parse_provider(text: str) -> ProviderChoice:
    """Read `istio`, `gatewayapi:v1beta1`, `smi:v1alpha2:osm`...; raise on anything else."""
    try:
        return ProviderChoice(Provider(text))
    except ValueError:
        pass
    base, sep, mesh = text.rpartition(":")
    if sep and base in _SMI and _MESH.match(mesh):
        return ProviderChoice(Provider(base), mesh)
    known = ", ".join(p.value for p in Provider)
    raise UnknownProviderError(
        f"unknown provider {text!r}; expected one of {known}, or smi:<version>:<mesh>"
    )
