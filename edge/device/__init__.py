"""The device runtime: daemon, pipeline, capture thread, alerts, stats, sd_notify, config."""
