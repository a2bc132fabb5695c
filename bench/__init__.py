"""Benchmarks: ``python -m bench.execution`` (one query, three engines, loopback HTTP and in
process) and ``python -m bench.load`` (200 clients against the sandbox with faults)."""
