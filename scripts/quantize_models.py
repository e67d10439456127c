"""int8 versions of the picture and OCR models, made reproducibly, and measured against their fp32 originals.

``build`` quantizes each model with onnxruntime's tools: statically (QDQ, per-channel int8 weights, uint8
activations, min-max ranges) where a calibration set helps, which is every conv net here; the calibration inputs
are what the engine itself feeds each model on a quarter of ``tests/fixtures/clean_pictures``
plus frames of the captioned fixture video, recorded while the fp32 detectors run on them. ``measure`` compares
fp32 and int8 on another quarter, which calibration never saw: CPU time per inference (one thread,
``time.process_time``, fp32 and int8 interleaved so that a busy machine slows both alike) and the largest change
of each model's output. Figures in docs/benchmarks.md, "int8 models".

    PYTHONPATH=. python scripts/quantize_models.py build [--models nudenet ...]
    PYTHONPATH=. python scripts/quantize_models.py measure [--rounds 10] [--json figures.json]

``build`` writes ``vodguard/moderation/detectors/int8/<model>.ranges.json``; the engine makes each int8 model from
its fp32 file and those ranges (``detectors/int8``). ``measure`` builds the int8 files as the engine does, in
``--models-dir``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from vodguard.moderation.config import EngineConfig, Limits
from vodguard.moderation.detectors import build
from vodguard.moderation.detectors.int8 import MODELS, ensure_int8, fp32_source, quantize, ranges_file
from vodguard.moderation.media import load_image_frames
from vodguard.moderation.types import Frame

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ROOT / "tests/fixtures/clean_pictures"
VIDEO = ROOT / "tests/fixtures/text_video.mp4"
Feed = dict[str, np.ndarray]


class Recorder:
    """Stands in for an onnxruntime session's ``run`` and keeps a copy of every input it is given."""

    def __init__(self, session: Any) -> None:
        self.feeds: list[Feed] = []
        self._run = session.run
        session.run = self

    def __call__(self, outputs: Any, feed: Feed, *args: Any, **kwargs: Any) -> Any:
        self.feeds.append({k: np.array(v) for k, v in feed.items()})
        return self._run(outputs, feed, *args, **kwargs)


def sessions_of(name: str, detector: Any) -> dict[str, Any]:
    """The onnxruntime sessions inside a built detector, by model name."""
    if name == "ocr":
        reader = detector._reader
        return {"ocr_det": reader._det.session.session, "ocr_rec": reader._rec.session.session}
    if name == "terror:tiled":
        return {"efficientnet": detector._model._session}
    return {{"nsfw:tiled": "nudenet", "safety": "safety", "drawn": "nsfwjs"}[name]: detector._session}


DETECTOR_NAMES = ("nsfw:tiled", "terror:tiled", "safety", "drawn", "ocr")


STEP = (
    4  # a quarter of the clean pictures calibrates, another quarter is held out: 83 each, every kind in both
)


def frames(odd: bool) -> Iterator[list[Frame]]:
    """One quarter of the clean pictures (``odd``: a different one), one list of frames each, then frames of the
    captioned fixture video."""
    paths = sorted(PICTURES.glob("*.jpg"))[(STEP // 2 if odd else 0) :: STEP]
    for path in paths:
        yield list(load_image_frames(path, Limits()))
    import av

    with av.open(str(VIDEO)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % 50 == (25 if odd else 0):  # a frame every 2 s, different ones for each half
                image = frame.to_ndarray(format="rgb24")
                yield [Frame(index=i, time=i / 25, image=image)]


def record(config: EngineConfig, odd: bool) -> dict[str, list[Feed]]:
    """Every input the engine's picture and OCR models get on one half of the pictures, by model name."""
    detectors = {name: build(name, config, lambda part: _text_stub) for name in DETECTOR_NAMES}
    recorders = {
        model: Recorder(session)
        for name, detector in detectors.items()
        for model, session in sessions_of(name, detector).items()
    }
    for batch in frames(odd):
        for detector in detectors.values():
            detector(batch)
    return {model: recorder.feeds for model, recorder in recorders.items()}


def _text_stub(text: str) -> list[Any]:
    return []  # calibration needs OCR's model inputs, not its verdicts


# --- build ---------------------------------------------------------------------------------------------------


class _Reader:
    """onnxruntime's CalibrationDataReader over recorded feeds."""

    def __init__(self, feeds: list[Feed]) -> None:
        self._feeds = iter(feeds)

    def get_next(self) -> Feed | None:
        return next(self._feeds, None)


def build_all(models: list[str], models_dir: Path) -> None:
    """Measure each model's activation ranges on the calibration pictures and write its ranges file."""
    config = EngineConfig(models_dir=models_dir, threads=1, int8_models=False)
    feeds = record(config, odd=False)
    for model in models:
        start = time.process_time()
        ranges = ranges_file(model)
        ranges.unlink(missing_ok=True)  # a ranges file present is read, not measured again
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "model.int8.onnx"
            quantize(fp32_source(model, config), target, ranges, _Reader(feeds[model]))
            size = target.stat().st_size / 1e6
        took = time.process_time() - start
        print(
            f"{model}: {len(feeds[model])} calibration inputs, {size:.1f} MB int8, {took:.0f} s CPU",
            flush=True,
        )


# --- measure -------------------------------------------------------------------------------------------------


def _session(path: Path) -> Any:
    import onnxruntime as ort

    from vodguard.moderation.detectors.base import session_options

    return ort.InferenceSession(str(path), session_options(1), providers=["CPUExecutionProvider"])


def _cpu(run: Callable[[], Any]) -> float:
    start = time.process_time()
    run()
    return time.process_time() - start


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def _ctc(x: np.ndarray) -> list[tuple[int, ...]]:
    """Greedy CTC decoding of (N, T, classes) rec outputs: class 0 is the blank."""
    out = []
    for row in x.argmax(axis=-1):
        chars = [int(c) for i, c in enumerate(row) if c != 0 and (i == 0 or c != row[i - 1])]
        out.append(tuple(chars))
    return out


def compare(model: str, a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """What changes between an fp32 output ``a`` and its int8 ``b`` in the terms the detector reads them."""
    if model == "nudenet":  # (N, 4 + 18, anchors): the class scores the detector keeps from 0.3
        sa, sb = a[:, 4:], b[:, 4:]
        near = np.maximum(sa, sb) >= 0.2
        return {
            "score_delta": float(np.abs(sa - sb)[near].max(initial=0.0)),
            "flips_at_0.3": float(((sa >= 0.3) != (sb >= 0.3)).sum()),
        }
    if model == "efficientnet":  # logits: the detector sums the softmax of weapon classes
        from vodguard.moderation.detectors.terror import sub_label_scores

        pa, pb = _softmax(a), _softmax(b)
        return {
            "score_delta": float(np.abs(sub_label_scores(pa) - sub_label_scores(pb)).max()),
            "top1_changed": float((pa.argmax(-1) != pb.argmax(-1)).sum()),
        }
    if model in ("safety", "nsfwjs"):  # probabilities
        return {
            "score_delta": float(np.abs(a - b).max()),
            "flips_at_0.5": float(((a >= 0.5) != (b >= 0.5)).sum()),
        }
    if model == "ocr_det":  # (N, 1, H, W) text probability map, read at 0.3
        return {
            "score_delta": float(np.abs(a - b).max()),
            "pixels_flipped_at_0.3": float(((a > 0.3) != (b > 0.3)).mean()),
        }
    changed = sum(x != y for x, y in zip(_ctc(a), _ctc(b), strict=True))  # rec: (N, T, characters)
    return {"score_delta": float(np.abs(a - b).max()), "lines_read_differently": float(changed)}


def measure(models: list[str], rounds: int, models_dir: Path) -> dict[str, dict[str, float]]:
    """Per model: CPU ms per inference fp32 and int8, speed-up, and the largest output change."""
    config = EngineConfig(models_dir=models_dir, threads=1, int8_models=False)
    feeds = record(config, odd=True)
    report: dict[str, dict[str, float]] = {}
    for model in models:
        source = fp32_source(model, config)
        fp32, int8 = _session(source), _session(ensure_int8(model, source, models_dir))
        inputs = feeds[model][:: max(1, len(feeds[model]) // 60)]  # at most ~60 inputs a model
        deltas: dict[str, float] = {}
        for feed in feeds[model]:  # every held-out input, not only the timed ones
            a = np.asarray(fp32.run(None, feed)[0], np.float64)
            b = np.asarray(int8.run(None, feed)[0], np.float64)
            for key, value in compare(model, a, b).items():
                deltas[key] = (
                    max(deltas.get(key, 0.0), value) if key == "score_delta" else deltas.get(key, 0) + value
                )
        times = {"fp32": 0.0, "int8": 0.0}
        for _ in range(rounds):
            for feed in inputs:  # interleaved, so that load from other jobs weighs on both alike
                times["fp32"] += _cpu(lambda s=fp32, f=feed: s.run(None, f))
                times["int8"] += _cpu(lambda s=int8, f=feed: s.run(None, f))
        calls = rounds * len(inputs)
        report[model] = {
            "inputs": len(inputs),
            "fp32_ms": 1000 * times["fp32"] / calls,
            "int8_ms": 1000 * times["int8"] / calls,
            "speedup": times["fp32"] / max(times["int8"], 1e-9),
            **deltas,
        }
        r = report[model]
        print(
            f"{model}: fp32 {r['fp32_ms']:.2f} ms, int8 {r['int8_ms']:.2f} ms, x{r['speedup']:.2f}; "
            + ", ".join(f"{k} {v:.4g}" for k, v in deltas.items())
            + f" over {len(feeds[model])} inputs",
            flush=True,
        )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("build", "measure"))
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=MODELS)
    parser.add_argument("--models-dir", type=Path, default=ROOT / "data/models", help="EfficientNet's cache")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", type=Path, help="measure: also write the figures here")
    args = parser.parse_args()
    if args.command == "build":
        build_all(args.models, args.models_dir)
    else:
        report = measure(args.models, args.rounds, args.models_dir)
        if args.json:
            args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
