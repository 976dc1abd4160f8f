"""Where the dashboard reads from: the ledger, opened read-only, and optionally the cluster.

The ledger is opened without ``migrate`` (which would write) and every connection is switched to
read-only by the database itself (SQLite's ``query_only``, PostgreSQL's read-only transactions),
so no route can write even by mistake. A ledger whose schema is not this Roost's head is refused
with a clear message instead of being upgraded. The cluster is read with one list call per page;
an unreachable cluster is reported on the page and never stops the ledger view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from controller.histories import canary_streams, load_histories
from ledger import EventRegistry, Ledger, LedgerError
from ledger.engines import create_ledger_engine
from ledger.migrating import current_revision, head_revision
from reducers.canary.history import History
from reducers.events import ALL_EVENTS

STREAM_PREFIX = "canary/"
GROUP, VERSION, PLURAL = "flagger.app", "v1beta1", "canaries"


class SourceError(Exception):
    """The ledger or the cluster could not be read; the message says which and why."""


def _short(error: BaseException, limit: int = 200) -> str:
    text = str(getattr(error, "orig", None) or error).splitlines()[0] if str(error) else repr(error)
    return text if len(text) <= limit else text[:limit] + "..."


def _read_only(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    try:
        if type(dbapi_conn).__module__.startswith("sqlite3"):
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    finally:
        cursor.close()


def open_read_only(location: str) -> Ledger:
    """The ledger at ``location`` for reading only; ``SourceError`` if it is missing or not at
    this Roost's schema revision (run any ``roost ledger`` command to migrate it)."""
    if "://" not in location and not Path(location).expanduser().is_file():
        raise SourceError(f"no ledger at {location}")
    try:
        engine = create_ledger_engine(location)
    except LedgerError as e:
        raise SourceError(str(e)) from e
    event.listen(engine, "connect", _read_only)
    try:
        revision = current_revision(engine)
        if revision != head_revision():
            raise SourceError(
                f"ledger {location} is at schema revision {revision or 'none'}, not "
                f"{head_revision()}: the dashboard does not migrate; run "
                "'roost ledger info --ledger ...' once to migrate it"
            )
    except SQLAlchemyError as e:
        engine.dispose()
        raise SourceError(f"cannot read ledger {location}: {_short(e)}") from e
    except SourceError:
        engine.dispose()
        raise
    return Ledger(engine)


class LedgerSource:
    """Canary histories, read afresh on every call (a page shows the ledger as it is now)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._registry = EventRegistry(ALL_EVENTS)

    def histories(self) -> list[History]:
        try:
            return load_histories(self.ledger, canary_streams(self.ledger), self._registry)
        except (LedgerError, SQLAlchemyError) as e:
            raise SourceError(f"cannot read the ledger: {_short(e)}") from e

    def history(self, namespace: str, name: str) -> History | None:
        stream = f"{STREAM_PREFIX}{namespace}/{name}"
        try:
            if stream not in canary_streams(self.ledger):
                return None
            return load_histories(self.ledger, [stream], self._registry)[0]
        except (LedgerError, SQLAlchemyError) as e:
            raise SourceError(f"cannot read the ledger: {_short(e)}") from e

    def close(self) -> None:
        self.ledger.close()


class LiveSource:
    """The Canary resources of the cluster a kubeconfig points at, read with a short timeout."""

    def __init__(self, kubeconfig: str, timeout_s: float = 3.0) -> None:
        import kubernetes.client
        import kubernetes.config

        self.kubeconfig = kubeconfig
        self._timeout = timeout_s
        configuration = kubernetes.client.Configuration()
        try:
            kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, client_configuration=configuration, persist_config=False
            )
        except Exception as e:  # the loader raises several unrelated types for a bad file
            raise SourceError(f"cannot load kubeconfig {kubeconfig}: {_short(e)}") from e
        # before the client exists: its connection pool takes the retries when it is built
        configuration.retries = 0
        self._client = kubernetes.client.ApiClient(configuration)
        self._api = kubernetes.client.CustomObjectsApi(self._client)

    def canaries(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every Canary, by (namespace, name); ``SourceError`` when the cluster can't be read."""
        try:
            found = self._api.list_cluster_custom_object(
                GROUP, VERSION, PLURAL, _request_timeout=self._timeout
            )
        except Exception as e:  # urllib3, ApiException, socket errors: all mean unreachable
            raise SourceError(f"cluster unreachable: {_short(e)}") from e
        items = found.get("items", []) if isinstance(found, dict) else []
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for item in items:
            meta = item.get("metadata") or {}
            out[(str(meta.get("namespace", "")), str(meta.get("name", "")))] = item
        return out

    def canary(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            found = self._api.get_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, name, _request_timeout=self._timeout
            )
        except Exception as e:
            if getattr(e, "status", None) == 404:
                return None
            raise SourceError(f"cluster unreachable: {_short(e)}") from e
        return found if isinstance(found, dict) else None

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]


def live_summary(obj: dict[str, Any]) -> dict[str, Any]:
    """Phase and weight from a live Canary's status."""
    status = obj.get("status") or {}
    return {"phase": status.get("phase") or "", "weight": status.get("canaryWeight")}


def live_manifest(obj: dict[str, Any]) -> dict[str, Any]:
    """A live Canary without the server-managed metadata noise."""
    meta = dict(obj.get("metadata") or {})
    for noisy in ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp"):
        meta.pop(noisy, None)
    return {**obj, "metadata": meta}
