"""Benchmarks: measured on purpose, printed as tables, never run as timed tests."""
