"""The dashboard in a real headless Chromium: a real mosquitto, the daemon on the synthetic
camera and the dashboard, each its own process. The alert card appears with its snapshot,
acknowledging works, and a device that dies shows offline.

Set THERMOSEG_DASHBOARD_SCREENSHOT=docs/dashboard.png to refresh the README's screenshot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from edge.comms.config import MqttConfig
from edge.comms.subscriber import Subscriber
from edge.testing.broker import LocalBroker
from tests.edge.dashboard.helpers import Dashboard
from tests.edge.mqtt_helpers import collect

DEVICE = "ward-2"
T = TypeVar("T")


def _chrome() -> object:
    webdriver = pytest.importorskip("selenium.webdriver", reason="the dashboard extra")
    from selenium.webdriver.chrome.service import Service

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.fail(
            "the browser test needs Debian's chromium and chromium-driver: make system-deps",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1360,1000"):  # fmt: skip
        options.add_argument(arg)
    # An explicit driver path: Selenium Manager never downloads anything.
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def _fresh(action: Callable[[], T]) -> T:
    """Run ``action`` again when a live update re-rendered the card under it."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(50):
        try:
            return action()
        except StaleElementReferenceException:
            time.sleep(0.1)
    return action()


def _device_config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "device.toml"
    path.write_text(f"""
device_id = "{DEVICE}"
state_dir = "{tmp_path / "state"}"
[source]
type = "synthetic"
seed = 0
fps = 9.0
loop = true
y16 = true
script = [{{ stage = "normal", frames = 4 }}, {{ stage = "advanced", frames = 2000 }}]
[segmenter]
type = "codebook"
[alerts]
open_after = 3
close_after = 5
update_interval_s = 60
[mqtt]
host = "127.0.0.1"
port = {port}
[stats]
interval_s = 1.0
""")
    return path


class Daemon:
    """The daemon in its own process, started once the dashboard listens (it keeps no broker
    session, so an alert published before it subscribed would never reach it)."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge.cli.main", "run", "--config", str(self.config)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


@pytest.fixture
def daemon(broker: LocalBroker, tmp_path: Path) -> Iterator[Daemon]:
    d = Daemon(_device_config(tmp_path, broker.port))
    yield d
    d.kill()
    if d.proc is not None:
        d.proc.communicate(timeout=30)


def test_alert_card_with_snapshot_acknowledgement_and_offline_device_in_chromium(
    broker: LocalBroker, daemon: Daemon, tmp_path: Path
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    acks = Subscriber(MqttConfig(host=broker.host, port=broker.port), "thermoseg/+/alerts/+/ack")
    acks.start()
    assert acks.wait_subscribed(10)
    dash = Dashboard(broker.port, tmp_path / "dash.sqlite3", "--device", DEVICE)
    browser = _chrome()
    try:
        dash.wait_ready()
        browser.get(dash.url + "/")  # type: ignore[attr-defined]
        daemon.start()
        # Live updates re-render rows and cards: a vanished element means "look again".
        wait = WebDriverWait(browser, 40, ignored_exceptions=(StaleElementReferenceException,))

        card = wait.until(lambda b: b.find_element(By.CSS_SELECTOR, ".alert-card"))
        wait.until(
            lambda b: b.execute_script(
                "const i = document.querySelector('.alert-card img.snapshot');"
                "return i !== null && i.complete && i.naturalWidth > 400;"
            )
        )
        card = browser.find_element(By.CSS_SELECTOR, ".alert-card")  # type: ignore[attr-defined]
        grade = card.find_element(By.CSS_SELECTOR, ".grade").text.lower()
        assert grade in ("initial", "middle", "advanced")
        assert (
            "ΔT" in card.text and card.find_element(By.CSS_SELECTOR, ".alert-state").text == "open"
        )
        assert "diagnos" in card.find_element(By.CSS_SELECTOR, ".disclaimer-line").text
        assert card.find_elements(By.CSS_SELECTOR, "table.regions tbody tr")
        wait.until(
            lambda b: b.find_element(By.CSS_SELECTOR, f"#device-{DEVICE} .state").text == "online"
        )
        wait.until(lambda b: b.find_element(By.CSS_SELECTOR, f"#device-{DEVICE} .fps").text != "–")

        def acknowledge() -> None:
            card = browser.find_element(By.CSS_SELECTOR, ".alert-card")  # type: ignore[attr-defined]
            for name, value in (("by", "AB"), ("note", "reviewed, recall booked")):
                field = card.find_element(By.NAME, name)
                field.clear()
                field.send_keys(value)
            card.find_element(By.CSS_SELECTOR, ".ack-btn").click()

        _fresh(acknowledge)
        wait.until(
            lambda b: (
                "acknowledged by AB" in b.find_element(By.CSS_SELECTOR, ".alert-card .acks").text
            )
        )
        sent = collect(acks, 1, timeout=10, leaf="/ack")
        assert sent and sent[0]["by"] == "AB" and sent[0]["device"] == DEVICE

        browser.execute_script("window.scrollTo(0, 0)")  # type: ignore[attr-defined]
        shot = os.environ.get("THERMOSEG_DASHBOARD_SCREENSHOT")
        browser.save_screenshot(shot or str(tmp_path / "dashboard.png"))  # type: ignore[attr-defined]

        daemon.kill()  # SIGKILL: the device dies, the broker sends its last will
        wait.until(
            lambda b: b.find_element(By.CSS_SELECTOR, f"#device-{DEVICE} .state").text == "offline"
        )
    finally:
        browser.quit()  # type: ignore[attr-defined]
        dash.stop()
        acks.stop()
