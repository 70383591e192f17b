"""Fuzzing the DMR-IR text parser: any bytes give a float32 matrix or a FrameError."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.errors import FrameError
from edge.io._dmr_text import parse_temperature_matrix
from tests.fuzz_targets import DMR, MIN_EACH, run_fuzz


def test_dmr_parser_on_hostile_text_raises_only_frame_errors(tmp_path: Path) -> None:
    counts = run_fuzz(DMR, tmp_path)
    assert min(counts["accepted"], counts["refused"]) >= MIN_EACH, counts


@pytest.mark.parametrize("data", [b"\x0c", b"\x0b \x0c\r\n", b"30 31\x0c\n32 33\n"])
def test_a_form_feed_or_vertical_tab_is_a_frame_error_naming_the_byte_not_a_value(
    data: bytes,
) -> None:
    # numpy's text parser read a file of nothing but a form feed as one value, -1 °C.
    with pytest.raises(FrameError, match=r"fuzz\.txt: control character 0x0[bc] at offset"):
        parse_temperature_matrix(Path("fuzz.txt"), data)
