"""``roost ui``: a read-only web dashboard over a ledger (and, if asked, the live cluster).

In the spirit of the Weave GitOps delivery view: a table of canaries, a page per canary (runs,
Kubernetes events, the explain text, the Canary YAML) and a page per run (an SVG chart of weights
and metric values with halts and rollbacks marked, the explain text, the tick table).

It owns presentation only. Every value shown comes from the read model that ``roost replay`` and
``roost explain`` use (``controller.histories`` loading streams into ``reducers.canary.history``,
``reducers.canary.explaining``, ``reducers.canary.timelines``); nothing here decides, and nothing
here writes: the ledger is opened without migrating and with the database's own read-only switch.

Modules: ``markup`` (escape-everything HTML building), ``charts`` (server-side SVG line charts),
``views`` (the rows and series a page shows, drawn from histories), ``pages`` (HTML of each
page), ``sources`` (the read-only ledger and the optional live cluster), ``serving`` (routes and
the HTTP server).
"""
