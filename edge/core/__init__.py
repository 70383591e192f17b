"""The shared core: frames, preprocessing, analysis, metrics. Imports nothing above it."""
