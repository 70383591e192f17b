"""``make demo`` / ``thermoseg-edge demo`` / ``python -m edge.cli.demo``: the whole device loop
on one machine, in ~25 s.

Starts a private mosquitto on a free loopback port, runs the daemon in-process on the synthetic
camera (the shipped ``demo.toml``: normal and abnormal phantom subjects in turn) with the
shipped default segmenter (the int8 TFLite model when present, else the codebook), prints each
alert event as a subscriber receives it, then stops everything it started and prints a summary.
No hardware, no network, no repository (an installed wheel carries the config). thermoseg is a screening aid: alerts ask for clinician review.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tomllib

from edge import DISCLAIMER
from edge.errors import ConfigError, ThermosegError

__all__ = ["dashboard_hint", "default_segmenter", "main", "register", "run_demo", "shipped_model"]

log = logging.getLogger("edge.cli.demo")


def shipped_model() -> Path | None:
    """The package's default TFLite model, or None when this installation lacks it."""
    from edge.segmenters.tflite import default_model_path

    try:
        return default_model_path()
    except ThermosegError:
        return None


def default_segmenter(choice: str = "auto") -> dict[str, Any]:
    """The segmenter section: ``auto`` is the shipped default TFLite model when this installation
    has it, else the codebook; ``tflite`` or ``codebook`` force one."""
    if choice == "tflite" or (choice == "auto" and shipped_model() is not None):
        return {"type": "tflite"}  # model unset: the shipped default
    return {"type": "codebook"}


def _alert_line(payload: dict[str, Any]) -> str:
    regions = payload.get("regions") or []
    dt = payload.get("max_delta_t_c")
    dt_text = f"{dt:+.1f} °C" if isinstance(dt, int | float) else "n/a"
    return (
        f"  {payload.get('timestamp', '')[11:23]}  ALERT {str(payload.get('event')).upper():6s} "
        f"{str(payload.get('alert_id'))[:8]}  grade={payload.get('grade')}  "
        f"regions={len(regions)}  max ΔT={dt_text}  frame={payload.get('frame_sequence')}"
    )


def dashboard_hint(port: int) -> str:
    """How to watch the demo's broker in the clinic dashboard (printed by the demo)."""
    return (
        "watch it in the clinic dashboard (pip install 'thermoseg[dashboard]'), in another "
        f"terminal:\n  thermoseg-edge dashboard --broker 127.0.0.1:{port} --db demo-dashboard.sqlite3"
        "\n  then open http://127.0.0.1:8080/  (fix the port with --broker-port to start the "
        "dashboard first)"
    )


def run_demo(
    seconds: float = 25.0,
    config: Path | None = None,
    segmenter: str = "auto",
    broker_port: int | None = None,
) -> int:
    """Run the demo (``config`` None: the shipped demo config); 0 when every alert the daemon
    sent reached the subscriber."""
    from edge.cli._shipped import shipped_config
    from edge.comms.config import topic
    from edge.comms.subscriber import Subscriber
    from edge.device.config import parse_config
    from edge.device.daemon import Daemon
    from edge.testing.broker import LocalBroker

    config = shipped_config("demo") if config is None else config
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{config}: cannot read the demo config: {exc}") from None
    received: list[dict[str, Any]] = []
    lock = threading.Lock()

    def on_message(_topic: str, payload: dict[str, Any]) -> None:
        with lock:
            received.append(payload)
        print(_alert_line(payload), flush=True)

    print(f"thermoseg demo — {DISCLAIMER}\n")
    with (
        tempfile.TemporaryDirectory(prefix="thermoseg-demo-") as tmp,
        LocalBroker(workdir=Path(tmp) / "broker", port=broker_port) as broker,
    ):
        data["state_dir"] = str(Path(tmp) / "state")
        mqtt = data.setdefault("mqtt", {})
        mqtt.pop("brokers", None)  # the demo's own broker replaces whatever the file names
        mqtt.update({"host": broker.host, "port": broker.port})
        data["segmenter"] = default_segmenter(segmenter)
        cfg = parse_config(data, str(config))
        seg = cfg.segmenter
        print(f"broker: mosquitto on {broker.host}:{broker.port} (started for this demo)")
        print(f"camera: synthetic phantoms at {getattr(cfg.source, 'fps', '?')} fps")
        model = shipped_model()
        if seg.type == "tflite":
            print(f"segmenter: tflite ({model.name if model else 'missing model'})")
        else:
            print("segmenter: codebook" + (" (no model shipped)" if segmenter == "auto" else ""))
        alert_topic = topic(cfg.mqtt.topic_prefix, cfg.device_id, "alerts")
        sub = Subscriber(cfg.mqtt, alert_topic, on_message=on_message)
        sub.start()
        if not sub.wait_subscribed(10):
            raise ThermosegError(f"demo: could not subscribe to {alert_topic}: {sub.last_error}")
        print(dashboard_hint(broker.port))
        print(f"listening on {alert_topic} for {seconds:g} s ...\n")
        summary = Daemon(cfg).run(max_seconds=seconds)
        sent = {k: v for k, v in summary.alerts_sent.items() if v}
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:  # QoS 1 deliveries still in flight
            with lock:
                if len(received) >= sum(sent.values()):
                    break
            time.sleep(0.1)
        sub.stop()
    got = Counter(str(p.get("event")) for p in received)
    if not sent:
        print("  (no alert in this run: the segmenter found no abnormal warm pattern)")
    all_in = all(got[k] >= v for k, v in sent.items())
    print(
        f"\nsummary: {summary.frames} frames in {summary.elapsed_s:.1f} s "
        f"({summary.frames / max(summary.elapsed_s, 1e-9):.1f} fps), "
        f"{summary.frames_bad} bad, {summary.queue_drops} dropped by the queue"
    )
    print(
        "alerts sent:     "
        + ", ".join(f"{k} {sent.get(k, 0)}" for k in ("new", "update", "end"))
        + "\nalerts received: "
        + ", ".join(f"{k} {got.get(k, 0)}" for k in ("new", "update", "end"))
        + f"  -> {'all received' if all_in else 'SOME MISSING'}"
    )
    print(f"broker stopped; every alert carried the disclaimer: {DISCLAIMER}")
    return 0 if summary.exit_code == 0 and all_in else 1


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=25.0, help="how long the daemon runs")
    parser.add_argument(
        "--config", type=Path, default=None, help="demo device config (default: the shipped one)"
    )
    parser.add_argument(
        "--segmenter",
        choices=("auto", "tflite", "codebook"),
        default="auto",
        help="auto: the shipped default TFLite model when present, else the codebook",
    )
    parser.add_argument(
        "--broker-port",
        type=int,
        default=None,
        help="loopback port of the demo's broker (default: a free one); fix it to start "
        "`thermoseg-edge dashboard --broker 127.0.0.1:PORT` before the demo",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole device loop on this machine: private broker, synthetic camera, alerts",
        description=__doc__,
    )
    _add_arguments(p)
    p.set_defaults(
        func=lambda args: run_demo(args.seconds, args.config, args.segmenter, args.broker_port)
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge.cli.demo", description=__doc__)
    _add_arguments(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="show the daemon's log")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return run_demo(args.seconds, args.config, args.segmenter, args.broker_port)
    except ThermosegError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
