"""A Kubernetes API server double, a workload simulator and the ``roost sandbox`` they make up.

No kube-apiserver can run where Roost is developed and tested, yet the operator must be
exercised over real HTTP through the official ``kubernetes`` client, with the behaviours it relies
on: resource versions and conflicts, status and scale subresources, watches that resume, expire
and bookmark, finalizers and garbage collection. This package provides that double and the
minimal controller (Deployment and DaemonSet status) that a real cluster would add around it.

It sits beside the operator, never under it: nothing in ``ledger``, ``reducers`` or ``effects`` may
import it, and it imports nothing of theirs. ``kmock`` (the optional ``sandbox`` extra) is imported
only by the modules that serve HTTP, so importing this package itself costs nothing.

Modules, bottom up: ``errors`` (API errors as ``Status`` bodies); ``catalog`` and
``custom_types`` (which resources exist); ``selectors``, ``patches``, ``objects`` and ``defaults``
(pure rules on payloads); ``store`` (objects, resource versions, event log), ``writing`` (the
apiserver's write rules) and ``collecting`` (GC, namespaces, CRDs); ``routes``, ``discovery``,
``watching``, ``endpoints``, ``faults`` and ``apiserver`` (HTTP on kmock); ``serving`` (a thread,
or ``python -m controller.sandbox.apiserver``); ``rollouts`` and ``workloads`` (the simulated
controllers); ``kubeconfig`` and ``running`` (what ``roost sandbox`` starts).
"""
