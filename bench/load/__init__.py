"""The load-and-fault benchmark: ``python -m bench.load``."""
