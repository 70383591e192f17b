"""A synthetic camera: phantom subjects from :mod:`edge.phantom`, following a script.

The script is a list of segments, each one subject at a stage (``normal``, ``initial``,
``middle``, ``advanced``) shown for a number of frames, e.g. 20 normal frames, 30 of a subject
with a lesion, 30 normal again. Every frame is the subject re-rendered with fresh sensor noise
(``noise_seed`` = the frame number), so consecutive frames differ the way a camera's do. With
``y16`` on, frames are Lepton TLinear counts, exercising the same path as the real camera.
No hardware, no files: used by the demo, the tests and bench runs.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.core.frame import Frame, celsius_to_y16
from edge.errors import SourceError
from edge.sources._pacing import Pacer
from edge.sources.base import FrameSource

__all__ = ["ScriptSegment", "SyntheticConfig", "SyntheticSource"]

log = logging.getLogger(__name__)

Stage = Literal["normal", "initial", "middle", "advanced"]


class ScriptSegment(BaseModel):
    """One phantom subject at ``stage`` shown for ``frames`` frames."""

    model_config = ConfigDict(extra="forbid")

    stage: Stage = Field(description="normal, or the lesion stage: initial, middle, advanced")
    frames: int = Field(ge=1, description="how many frames this subject stays in view")


def _default_script() -> list[ScriptSegment]:
    return [
        ScriptSegment(stage="normal", frames=20),
        ScriptSegment(stage="middle", frames=40),
        ScriptSegment(stage="normal", frames=30),
    ]


class SyntheticConfig(BaseModel):
    """Phantom thermograms at a fixed rate, scripted normal and abnormal subjects."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["synthetic"] = "synthetic"
    seed: int = Field(0, ge=0, description="phantom population seed (same seed, same subjects)")
    fps: float = Field(8.7, ge=0, description="frames per second; 0 = as fast as taken")
    loop: bool = Field(True, description="start the script again (with new subjects) at its end")
    resolution: Literal["lepton", "dmr"] = Field(
        "lepton", description="lepton: 160x120; dmr: 640x480 like the DMR-IR database"
    )
    view: Literal["closeup", "wide"] = Field(
        "closeup", description="closeup: Lepton chest close-up; wide: DMR-IR clinical framing"
    )
    family: str = Field("a", description="phantom family (see edge.phantom.FAMILIES)")
    y16: bool = Field(True, description="deliver Lepton TLinear centikelvin counts instead of °C")
    script: list[ScriptSegment] = Field(
        default_factory=_default_script, min_length=1, description="segments shown in order"
    )


class SyntheticSource(FrameSource):
    """Renders phantom frames on demand, paced to ``fps``."""

    type = "synthetic"
    config_class = SyntheticConfig

    def __init__(self, config: SyntheticConfig) -> None:
        self.config = config
        self._started = False
        self._sequence = 0
        self._segment = 0
        self._in_segment = 0
        self._round = 0
        self._pacer = Pacer(self.config.fps)

    def start(self) -> None:
        # Imported here: the phantom renderer is only needed when this source is used.
        from edge import phantom

        if self.config.family not in phantom.FAMILIES:
            raise SourceError(
                f"synthetic: family={self.config.family!r}: expected one of "
                f"{', '.join(sorted(phantom.FAMILIES))}"
            )
        self._phantom = phantom
        self._started = True
        self._pacer.reset()

    def read(self, timeout: float | None = None) -> Frame | None:
        if not self._started:
            raise SourceError("synthetic: read() before start()")
        script = self.config.script
        if self._in_segment >= script[self._segment].frames:
            self._segment += 1
            self._in_segment = 0
            if self._segment >= len(script):
                if not self.config.loop:
                    return None
                self._segment = 0
                self._round += 1
        seg = script[self._segment]
        subject = self._round * len(script) + self._segment
        self._in_segment += 1
        self._sequence += 1
        self._pacer.wait()
        ph = self._phantom.generate(
            self.config.seed,
            subject,
            stage=seg.stage,
            resolution=self.config.resolution,
            view=self.config.view,
            family=self.config.family,
            noise_seed=self._sequence,
        )
        frame = ph.frame(self._sequence, time.time())
        meta = {
            **frame.metadata,
            "script_segment": self._segment,
            "abnormal": seg.stage != "normal",
        }
        if self.config.y16 and frame.kind == "celsius":
            return dataclasses.replace(
                frame, pixels=celsius_to_y16(frame.pixels), kind="y16", metadata=meta
            )
        return dataclasses.replace(frame, metadata=meta)

    def stop(self) -> None:
        self._started = False

    def state(self) -> dict[str, Any]:
        return {"type": self.type, "segment": self._segment, "round": self._round}
