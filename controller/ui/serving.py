"""Routes of the dashboard and the HTTP server that serves them (stdlib ``http.server``).

``Dashboard.respond(path)`` maps a GET path to a response and is the whole application: the
server only turns requests into calls of it. Only GET and HEAD exist; any other method is 405.
An unknown canary or run is a 404 page naming what exists; a failure while reading is a 503 page
with one line of reason; no traceback ever reaches a browser.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson

from controller.ui import pages, views
from controller.ui.sources import (
    LedgerSource,
    LiveSource,
    SourceError,
    live_manifest,
    live_summary,
)
from reducers.canary.explaining import explain
from reducers.canary.history import History

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str
    body: bytes


class NotFound(Exception):
    """A path naming a canary or run that does not exist; the message says what does."""


def _html(status: int, markup: str) -> Response:
    return Response(status, "text/html; charset=utf-8", markup.encode())


def _json(data: Any, status: int = 200) -> Response:
    return Response(status, "application/json", orjson.dumps(data, option=orjson.OPT_INDENT_2))


class Dashboard:
    """The read-only application over one ledger and, optionally, one cluster."""

    def __init__(self, ledger: LedgerSource, live: LiveSource | None = None) -> None:
        self.ledger = ledger
        self.live = live

    # ---------------------------------------------------------------- routing

    def respond(self, target: str) -> Response:
        path = urlsplit(target).path
        parts = [unquote(p) for p in path.split("/") if p]
        api = bool(parts) and parts[0] == "api"
        try:
            return self._route(parts)
        except NotFound as e:
            return (
                _json({"error": str(e)}, 404) if api else _html(404, pages.error_page(404, str(e)))
            )
        except SourceError as e:
            return (
                _json({"error": str(e)}, 503) if api else _html(503, pages.error_page(503, str(e)))
            )

    def _route(self, parts: list[str]) -> Response:
        match parts:
            case []:
                return _html(200, self._index())
            case ["canary", ns, name]:
                return _html(200, self._canary(ns, name))
            case ["canary", ns, name, "run", number]:
                return _html(200, self._run(ns, name, number))
            case ["api", "canaries"]:
                return _json(self._api_canaries())
            case ["api", "canary", ns, name]:
                return _json(self._api_canary(ns, name))
            case ["api", "canary", ns, name, "run", number]:
                return _json(self._api_run(ns, name, number))
        raise NotFound(f"no page at /{'/'.join(parts)}: try / for the list of canaries")

    # ---------------------------------------------------------------- reads

    def _history(self, ns: str, name: str) -> History:
        found = self.ledger.history(ns, name)
        if found is None:
            raise NotFound(f"no canary {ns}/{name} in the ledger")
        return found

    def _run_of(self, history: History, number: str) -> Any:
        if not number.isdigit():
            raise NotFound(f"run {number!r} is not a run number")
        try:
            return history.run(int(number))
        except LookupError as e:
            raise NotFound(str(e).removeprefix(views.STREAM_PREFIX)) from e

    def _live_all(self) -> tuple[dict[tuple[str, str], dict[str, Any]] | None, str]:
        if self.live is None:
            return None, ""
        try:
            found = self.live.canaries()
        except SourceError as e:
            return None, f"live view unavailable ({e}); showing the ledger only"
        return {k: live_summary(v) for k, v in found.items()}, ""

    # ---------------------------------------------------------------- pages

    def _index(self) -> str:
        rows = [views.canary_row(h) for h in self.ledger.histories()]
        live, notice = self._live_all()
        return pages.index_page(rows, live, notice)

    def _canary_data(self, ns: str, name: str) -> dict[str, Any]:
        history = self._history(ns, name)
        observed = views.last_spec(history)
        manifest = None if observed is None else views.canary_manifest(observed)
        source, notice = "as last recorded in the ledger", ""
        live: dict[str, Any] | None = None
        if self.live is not None:
            try:
                obj = self.live.canary(ns, name)
            except SourceError as e:
                notice = f"live view unavailable ({e}); showing the ledger only"
            else:
                if obj is None:
                    notice = "this canary is not in the cluster; showing the ledger only"
                else:
                    manifest, source = live_manifest(obj), "live from the cluster"
                    live = live_summary(obj)
        return {
            "history": history,
            "row": views.canary_row(history),
            "runs": [views.run_row(r) for r in history.runs],
            "events": views.kube_events(history),
            "explain": explain(history, history.runs[-1]) if history.runs else None,
            "manifest": manifest,
            "yamlSource": source,
            "live": live,
            "notice": notice,
        }

    def _canary(self, ns: str, name: str) -> str:
        d = self._canary_data(ns, name)
        text = None if d["manifest"] is None else views.to_yaml(d["manifest"])
        return pages.canary_page(
            d["row"], d["runs"], d["events"], d["explain"], text, d["yamlSource"], d["notice"]
        )

    def _run(self, ns: str, name: str, number: str) -> str:
        history = self._history(ns, name)
        run = self._run_of(history, number)
        return pages.run_page(
            views.canary_row(history),
            run,
            views.run_charts(run),
            explain(history, run),
            len(history.runs),
        )

    # ---------------------------------------------------------------- JSON

    def _api_canaries(self) -> dict[str, Any]:
        rows = [views.canary_row(h).json() for h in self.ledger.histories()]
        live, notice = self._live_all()
        if live is not None:
            for row in rows:
                row["live"] = live.get((row["namespace"], row["name"]))
        return {"canaries": rows, "notice": notice or None}

    def _api_canary(self, ns: str, name: str) -> dict[str, Any]:
        d = self._canary_data(ns, name)
        return {
            **d["row"].json(),
            "runs": d["runs"],
            "events": d["events"],
            "explain": d["explain"],
            "manifest": d["manifest"],
            "manifestSource": d["yamlSource"],
            "live": d["live"],
            "notice": d["notice"] or None,
        }

    def _api_run(self, ns: str, name: str, number: str) -> dict[str, Any]:
        history = self._history(ns, name)
        run = self._run_of(history, number)
        return {
            **views.run_row(run),
            "charts": views.run_charts(run).json(),
            "explain": explain(history, run),
        }

    def close(self) -> None:
        self.ledger.close()
        if self.live is not None:
            self.live.close()


# -------------------------------------------------------------------- the server


def _handler(dashboard: Dashboard) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "roost-ui"

        def _send(self, response: Response, *, body: bool = True) -> None:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", "default-src 'self' 'unsafe-inline'")
            self.end_headers()
            if body:
                self.wfile.write(response.body)

        def _answer(self) -> Response:
            try:
                return dashboard.respond(self.path)
            except Exception:  # a bug must not become a traceback page or a dropped socket
                log.exception("roost ui: error serving %s", self.path)
                return _html(500, pages.error_page(500, "internal error (see the server log)"))

        def do_GET(self) -> None:
            self._send(self._answer())

        def do_HEAD(self) -> None:
            self._send(self._answer(), body=False)

        def _refuse(self) -> None:
            self._send(_html(405, pages.error_page(405, "the dashboard is read-only")))

        do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s - %s", self.address_string(), format % args)

    return Handler


class DashboardServer:
    """The dashboard on a threading HTTP server; ``start`` serves from a background thread
    (tests), ``serve_forever`` from the caller's (the command)."""

    def __init__(self, dashboard: Dashboard, host: str = "127.0.0.1", port: int = 8765) -> None:
        self.dashboard = dashboard
        self.httpd = ThreadingHTTPServer((host, port), _handler(dashboard))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{text}]" if ":" in text else text
        return f"http://{shown}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="roost-ui-server", daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving, close the socket, the ledger and the cluster client."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.httpd.server_close()
        self.dashboard.close()


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
