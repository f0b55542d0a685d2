"""Benchmarks against the peers a user would otherwise pick; run with `make bench`."""
