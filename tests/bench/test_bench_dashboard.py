"""bench_dashboard runs (figures are the bench's, not asserted here)."""

from __future__ import annotations

from bench import bench_dashboard


def test_snapshot_bench_reports_png_size_and_device_cost() -> None:
    result = bench_dashboard.bench_snapshot(3)
    assert result["frames"] == 3 and result["png_bytes_median"] > 1000
    assert result["render_encode_ms"]["p50"] > 0 and result["outbox_put_ms"]["p50"] > 0
