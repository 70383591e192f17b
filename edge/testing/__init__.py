"""Helpers for tests, the demo and the benches (a local broker on loopback)."""
