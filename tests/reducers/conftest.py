"""Reducer tests drive the real decider; scenario data lives in ``scenarios.py``."""
