"""Benchmarks, run by `make bench`; each compares against its anchor in the same run."""
