"""Talking to the clinic: MQTT publisher and subscriber, the outbox, payload schemas."""
