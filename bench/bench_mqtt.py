"""Store-and-forward costs: outbox writes, alert throughput to a local mosquitto, outage recovery.

Everything is real: a SQLite outbox (WAL, synchronous=FULL) on the working folder's disk, a
mosquitto on loopback (:class:`edge.testing.broker.LocalBroker`), the publisher and a QoS 1 subscriber.

    python -m bench.bench_mqtt            # ~10 s
    python -m bench.bench_mqtt --quick    # ~3 s
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from edge.comms.config import MqttConfig
from edge.comms.outbox import Outbox, OutboxConfig
from edge.comms.publisher import MqttPublisher
from edge.comms.subscriber import Subscriber
from edge.testing.broker import LocalBroker
from tests.edge.mqtt_helpers import alert_payload, collect

__all__ = ["run"]


def _outbox_rate(folder: Path, n: int) -> tuple[float, float]:
    payload = b"x" * 900  # about the size of an alert with two regions
    with Outbox(folder / "bench-outbox.sqlite", OutboxConfig()) as box:
        t0 = time.perf_counter()
        ids = [box.put("thermoseg/bench/alerts", payload) for _ in range(n)]
        t1 = time.perf_counter()
        for i in ids:
            box.ack(i)
        t2 = time.perf_counter()
    return n / (t1 - t0), n / (t2 - t1)


def _delivery(folder: Path, n: int, inflight: int) -> tuple[float, float]:
    """(alerts/s delivered end to end, seconds from broker restart to the last queued alert)."""
    with LocalBroker(workdir=folder / "broker") as broker:
        cfg = MqttConfig(
            host=broker.host,
            port=broker.port,
            max_inflight=inflight,
            reconnect_min_s=0.1,
            reconnect_max_s=0.2,
        )
        sub = Subscriber(cfg, "thermoseg/#", client_id="bench-sub", persistent=True)
        sub.start()
        assert sub.wait_subscribed(10)
        box = Outbox(folder / f"outbox-{inflight}.sqlite", OutboxConfig())
        pub = MqttPublisher(cfg, "bench", box)
        pub.start()
        assert pub.wait_connected(10)
        payloads = [alert_payload(i, device="bench") for i in range(n)]
        t0 = time.perf_counter()
        for p in payloads:
            pub.publish_alert(p)
        got = collect(sub, n, timeout=120)
        rate = n / (time.perf_counter() - t0)
        assert len(got) >= n, f"only {len(got)} of {n} arrived"

        broker.stop()
        while pub.connected:
            time.sleep(0.01)
        for p in [alert_payload(i, device="bench") for i in range(n // 4)]:
            pub.publish_alert(p)
        t1 = time.perf_counter()
        broker.start()
        got = collect(sub, n // 4, timeout=120)
        recovery = time.perf_counter() - t1
        assert len(got) >= n // 4
        pub.stop()
        sub.stop()
        box.close()
    return rate, recovery


def run(quick: bool = False) -> None:
    n = 300 if quick else 2000
    with tempfile.TemporaryDirectory(prefix="thermoseg-bench-") as tmp:
        folder = Path(tmp)
        put, ack = _outbox_rate(folder, n)
        print(f"outbox ({n} x 900 B, WAL, synchronous=FULL): put {put:,.0f}/s, ack {ack:,.0f}/s")
        for inflight in (1, 20):
            rate, recovery = _delivery(folder, n, inflight)
            print(
                f"max_inflight={inflight:>2}: {n} alerts published->received {rate:,.0f}/s; "
                f"after a broker restart {n // 4} queued alerts delivered in {recovery:.2f} s "
                "(includes reconnect back-off)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer messages")
    run(parser.parse_args().quick)


if __name__ == "__main__":
    main()
