"""Scoring policies, nightly runs and each client's scores (owned by the scoring work)."""
