"""Benchmarks: measured figures, written to ``benchmarks/results/*.json`` (not timed tests)."""
