"""Benchmarks and the soak test of the thermoseg edge runtime (``make bench``, ``bench/soak.py``).

Run on demand, never by ``make test`` (apart from a short smoke run of each script and a
one-minute soak). Everything is real: the daemon, LiteRT, SQLite, a mosquitto on loopback.
"""
