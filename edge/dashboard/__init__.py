"""The clinic dashboard: MQTT subscriber, SQLite store and a small web app (``dashboard`` extra)."""
