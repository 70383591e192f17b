"""Every bench still runs end to end at smoke sizes (real LiteRT, SQLite, mosquitto, daemon).

Numbers are checked for sanity (present, positive, consistent), never against speed targets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import (
    bench_budget,
    bench_codebook,
    bench_memory,
    bench_mqtt,
    bench_scaling,
    bench_tflite,
    run,
)
from bench.common import DEFAULT_QUANT
from edge.io.manifest import QUANT_MODES


def test_codebook_bench_reports_frames_per_second_for_every_variant() -> None:
    result = bench_codebook.run(quick=True)
    assert result["rows"]
    assert all(row["fps_cpu"] > 0 and row["fps_wall"] > 0 for row in result["rows"].values())


def test_tflite_bench_times_every_quant_variant_of_the_lite_model() -> None:
    result = bench_tflite.run(quick=True)
    variants = result["models"]["lite"]["variants"]
    assert set(variants) == set(QUANT_MODES)
    for row in variants.values():
        assert row["size_bytes"] > 0
        assert row["invoke_1t"]["median_ms"] > 0 and row["wrapper_2t"]["p99_ms"] > 0


def test_mqtt_bench_reports_outbox_and_delivery_rates(capsys: pytest.CaptureFixture[str]) -> None:
    bench_mqtt.run(quick=True)
    out = capsys.readouterr().out
    assert "outbox" in out and "max_inflight=20" in out


def test_make_bench_entry_writes_results_with_the_machine_and_the_pipeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.json"
    assert run.main(["--quick", "--only", "pipeline", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["machine"]["cores"] >= 1 and results["machine"]["cpu"]
    segs = results["pipeline"]["segmenters"]
    assert set(segs) == {"codebook", f"tflite lite {DEFAULT_QUANT}"}
    for s in segs.values():
        assert s["frames"] == results["pipeline"]["frames_per_run"]
        assert s["fps"] > 0 and s["headroom_x"] > 0
        assert s["alerts_received"] == s["alerts_acked"]  # every PUBACKed alert reached a client
    assert segs["codebook"]["alerts_acked"] >= 1  # the abnormal-heavy replay raises alerts
    assert segs[f"tflite lite {DEFAULT_QUANT}"]["raw_invoke_fps"] > 0
    # The running daemon's own threads, by name: the model's thread and the camera's both work.
    threads = segs[f"tflite lite {DEFAULT_QUANT}"]["thread_cpu_ms_per_frame"]
    assert threads["pipeline"] > 0 and threads["pipeline-analyse"] > 0
    assert any(name.startswith("capture") and ms > 0 for name, ms in threads.items())
    assert "MainThread" not in threads
    assert segs[f"tflite lite {DEFAULT_QUANT}"]["cpu_bound_fps"] > 0  # stored, not only printed
    assert "Summary" in capsys.readouterr().out


def test_memory_bench_reads_the_daemons_peak_rss_and_start_up() -> None:
    result = bench_memory.run(quick=True)
    python_rss = result["imports"]["python"]["peak_rss_mb"]
    for row in result["segmenters"].values():
        assert row["peak_rss_mb"] > python_rss
        assert row["ready_s"] > 0 and row["online_s"] > 0
    assert result["imports"]["edge.device.daemon"]["peak_rss_mb"] > python_rss
    assert result["importtime_edge_daemon_s"] > 0


def test_scaling_bench_drains_a_queued_outbox_once_the_broker_is_up() -> None:
    result = bench_scaling.run(quick=True)
    assert len(result["resolution"]) == 4  # 2 segmenters × 2 input sizes
    queued = result["outbox"]["300"]
    assert queued["left_in_outbox"] == 0 and queued["drain_s"] > 0
    assert queued["offline_rss_mb"] > 0


def test_budget_bench_splits_each_frames_cpu_into_stages_and_sums_what_is_not_the_model() -> None:
    result = bench_budget.run(quick=True)
    ms = result["cpu_ms_per_frame"]
    assert set(bench_budget.STAGES) <= set(ms)
    assert ms["invoke"] > 0 and ms["preprocess"] > 0 and ms["analysis"] > 0 and ms["read"] > 0
    assert ms["snapshots"] > 0  # the replay opens alerts, and each new one renders a snapshot
    outside = sum(v for k, v in ms.items() if k not in ("invoke", "non-model"))
    assert abs(ms["non-model"] - outside) < 1e-3  # rounding of each figure only


def test_bench_cores_option_pins_the_run_and_is_recorded(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    assert run.main(["--quick", "--only", "budget", "--cores", "0", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["cores"] == [0]
    assert results["budget"]["cpu_ms_per_frame"]["non-model"] > 0


def test_hostile_bench_meets_its_target_on_the_small_hostile_files() -> None:
    from bench import bench_hostile

    result = bench_hostile.run(quick=True)
    rows = result["inputs"]
    assert rows["Lepton Y16 PNG 160x120"]["outcome"] == "processed"
    assert rows["DMR-IR text 640x480"]["outcome"] == "processed"
    assert rows["PNG 8-bit declaring 30000x30000"]["outcome"] == "refused"
    assert all(row["peak_rss_mb"] > 0 for row in rows.values())
    assert [name for name, row in rows.items() if not row["meets_target"]] == []
