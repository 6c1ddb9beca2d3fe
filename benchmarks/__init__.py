"""Benchmarks of the local path, token reduction, cost per host-month and the eval harness."""
