"""Operator-supplied ONNX classifiers (``EngineConfig.custom_models``) as image, audio or text detectors.

The model's first output holds one score per class, shape (N, C) (or (N,) for one class). The config's
label map sends a class to ``Label`` or ``Label.SubLabel``; a class is named by its index (``"3"``) or by its
name (``"gun"``). Names come from the model's metadata (``labels``: a JSON list or comma-separated) or from a
``<model>.labels.txt`` file next to it, one name a line.

Scores become probabilities like this, unless the model's metadata sets ``vodguard.activation`` to
``softmax``, ``sigmoid`` or ``none``:

* outputs already in 0..1 are taken as probabilities (the model ends in softmax or sigmoid);
* otherwise they are logits: one column gets a sigmoid, several columns a softmax.

Several classes mapped to the same ``Label.SubLabel`` add up when the scores are one distribution (rows sum to
1), and the strongest one counts when they are independent. A finding is reported when 100 x probability
reaches the model's ``min_confidence``.

Image models see the whole frame resized to ``input_size`` square (no crop, so nothing at the edge is lost),
RGB scaled to 0..1 then normalised by ``mean``/``std``, NCHW float32. Audio models see consecutive windows of
``window_seconds`` of the 16 kHz mono track, shape (N, samples) or (N, 1, samples); runs of adjacent windows
with the same label become one Voice finding with their start and end. Text models see each text as a string
tensor (N) or (N, 1), as scikit-learn pipelines exported with skl2onnx take it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vodguard.moderation.config import CustomModel
from vodguard.moderation.detectors.base import session_options
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import LABELS, AudioTrack, Finding, Frame, TextHit

_BATCH = 16
_ACTIVATIONS = ("softmax", "sigmoid", "none")
_TAIL = 0.25  # a last partial audio window shorter than this share of a window is dropped


def _class_names(path: Path, metadata: dict[str, str]) -> list[str]:
    raw = metadata.get("labels") or metadata.get("classes")
    if raw:
        try:
            names = json.loads(raw)
        except json.JSONDecodeError:
            names = raw.split(",")
        return [str(n).strip() for n in names]
    sidecar = path.with_name(path.stem + ".labels.txt")
    if sidecar.exists():
        return [line.strip() for line in sidecar.read_text(encoding="utf-8").splitlines() if line.strip()]
    return []


def parse_label_map(
    labels: dict[str, str], names: Sequence[str], *, model: Path
) -> list[tuple[int, str, str]]:
    """(class index, Label, SubLabel) for each entry of a custom model's label map; bad entries raise."""
    rules = []
    for key, target in labels.items():
        if key.isdigit():
            index = int(key)
        elif key in names:
            index = list(names).index(key)
        else:
            known = f"its classes are {', '.join(names)}" if names else "it has no class names"
            raise ValueError(
                f"custom model {model}: label map key {key!r} is not a class index or name ({known})"
            )
        label, _, sub_label = target.partition(".")
        if label not in LABELS:
            raise ValueError(
                f"custom model {model}: label map value {target!r} for {key!r} must start with one of "
                f"{', '.join(LABELS)}"
            )
        default = names[index] if index < len(names) else label
        rules.append((index, label, sub_label or default))
    if not rules:
        raise ValueError(f"custom model {model}: the label map is empty")
    return rules


def to_probabilities(scores: np.ndarray, activation: str | None) -> tuple[np.ndarray, bool]:
    """(probabilities, whether each row is one distribution) for raw (N, C) outputs; see the module doc."""
    scores = scores.astype(np.float64)
    if activation is None:
        if scores.size and scores.min() >= 0.0 and scores.max() <= 1.0:
            activation = "none"
        else:
            activation = "sigmoid" if scores.shape[1] == 1 else "softmax"
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-scores)), False
    if activation == "softmax":
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True), True
    one_distribution = scores.shape[1] > 1 and bool(np.allclose(scores.sum(axis=1), 1.0, atol=1e-3))
    return scores, one_distribution


def _scores_output(outputs: Sequence[Any]) -> Any:
    """The output holding the class scores: the first float tensor, else a list of {class: score} maps.

    Exporters put other outputs first: skl2onnx's classifiers give the predicted label, then probabilities.
    """
    for output in outputs:
        if output.type in ("tensor(float)", "tensor(double)", "tensor(float16)"):
            return output
    for output in outputs:
        if output.type.startswith("seq(map("):
            return output
    return outputs[0]


def _text_batch(texts: Sequence[str], input_shape: Sequence[Any]) -> np.ndarray:
    """Texts as the model's string input wants them: shape (N) or (N, 1)."""
    batch = np.array(list(texts), dtype=object)
    return batch.reshape(-1, 1) if len(input_shape) == 2 else batch


class _OnnxClassifier:
    def __init__(self, spec: CustomModel, *, kind: str, threads: int = 1) -> None:
        import onnxruntime as ort

        if spec.kind != kind:
            raise ValueError(f"custom model {spec.path}: kind is {spec.kind!r}, expected {kind!r}")
        if not Path(spec.path).exists():
            raise ModelUnavailable(f"custom model {spec.path} does not exist (custom_models[].path)")
        try:
            self._session = ort.InferenceSession(
                str(spec.path), session_options(threads), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own types for unreadable or invalid graphs
            raise ModelUnavailable(f"custom model {spec.path} cannot be loaded: {exc}") from exc
        meta = dict(self._session.get_modelmeta().custom_metadata_map)
        activation = meta.get("vodguard.activation")
        if activation is not None and activation not in _ACTIVATIONS:
            raise ValueError(
                f"custom model {spec.path}: vodguard.activation={activation!r} is not one of {_ACTIVATIONS}"
            )
        self._activation = activation
        model_input = self._session.get_inputs()[0]
        self._input_name: str = model_input.name
        self._input_shape: list[Any] = list(model_input.shape)
        self._batch = 1 if self._input_shape and self._input_shape[0] == 1 else _BATCH
        if kind == "text" and model_input.type != "tensor(string)":
            raise ValueError(
                f"custom model {spec.path}: a text model takes a string tensor, this one {model_input.type}"
            )
        scores = _scores_output(self._session.get_outputs())
        self._output_name: str = scores.name
        # skl2onnx's default output: one {class: probability} map a row
        self._zipmap = scores.type.startswith("seq(map(")
        self._zip_keys: list[Any] | None = None
        names = _class_names(Path(spec.path), meta)
        if self._zipmap and kind == "text":
            self._zip_keys = list(self._run(_text_batch([""], self._input_shape))[0].keys())
            names = names or [str(key) for key in self._zip_keys]
        self._rules = parse_label_map(spec.labels, names, model=Path(spec.path))
        self.spec = spec
        self.name = f"custom:{Path(spec.path).stem}"
        self.labels = frozenset(label for _, label, _ in self._rules)
        columns = scores.shape if not self._zipmap else [None, len(self._zip_keys or [])]
        width = columns[-1] if len(columns) > 1 else 1
        if isinstance(width, int) and width and max(i for i, _, _ in self._rules) >= width:
            raise ValueError(
                f"custom model {spec.path}: the label map names a class past its {width} outputs"
            )

    def _run(self, batch: np.ndarray) -> Any:
        return self._session.run([self._output_name], {self._input_name: batch})[0]

    def _scores(self, inputs: np.ndarray) -> list[dict[tuple[str, str], float]]:
        """Per input row, the confidence (0..100) of each mapped (Label, SubLabel)."""
        rows: list[dict[tuple[str, str], float]] = []
        for start in range(0, len(inputs), self._batch):
            out = self._run(inputs[start : start + self._batch])
            if self._zipmap:
                keys = self._zip_keys or (list(out[0].keys()) if len(out) else [])
                out = [[row[key] for key in keys] for row in out]
            raw = np.asarray(out, dtype=np.float64)
            raw = raw.reshape(len(raw), -1)
            probs, one_distribution = to_probabilities(raw, self._activation)
            for row in probs:
                combined: dict[tuple[str, str], float] = {}
                for index, label, sub_label in self._rules:
                    if index >= len(row):
                        raise ValueError(
                            f"custom model {self.spec.path}: class {index} is past its {len(row)} outputs"
                        )
                    key = (label, sub_label)
                    value = float(row[index]) * 100.0
                    if one_distribution:
                        combined[key] = combined.get(key, 0.0) + value
                    else:
                        combined[key] = max(combined.get(key, 0.0), value)
                rows.append(combined)
        return rows


class CustomImageModel(_OnnxClassifier):
    """An operator's ONNX image classifier as a frame detector (form Image)."""

    def __init__(self, spec: CustomModel, *, threads: int = 1) -> None:
        super().__init__(spec, kind="image", threads=threads)
        h, w = (self._input_shape[2:4] + [None, None])[:2]
        size = spec.input_size
        if (isinstance(h, int) and h != size) or (isinstance(w, int) and w != size):
            raise ValueError(f"custom model {spec.path}: input is {h}x{w} but input_size is {size}")
        self._mean = np.asarray(spec.mean, np.float32).reshape(3, 1, 1)
        self._std = np.asarray(spec.std, np.float32).reshape(3, 1, 1)

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        """One (3, size, size) float32 input from an RGB uint8 picture."""
        from PIL import Image

        size = self.spec.input_size
        resized = Image.fromarray(np.ascontiguousarray(image)).resize((size, size), Image.Resampling.BILINEAR)
        chw = np.asarray(resized, dtype=np.float32).transpose(2, 0, 1) / 255.0
        return (chw - self._mean) / self._std

    def __call__(self, frames: Sequence[Frame]) -> list[Finding]:
        """A finding per frame and mapped label whose confidence reaches ``min_confidence``."""
        if not frames:
            return []
        inputs = np.stack([self.preprocess(f.image) for f in frames]).astype(np.float32)
        findings = []
        for frame, scores in zip(frames, self._scores(inputs), strict=True):
            for (label, sub_label), confidence in scores.items():
                if confidence >= self.spec.min_confidence:
                    findings.append(
                        Finding(
                            form="Image",
                            label=label,
                            sub_label=sub_label,
                            confidence=round(confidence, 2),
                            start=frame.time,
                            end=frame.time,
                            frame_index=frame.index,
                        )
                    )
        return findings


def audio_windows(samples: np.ndarray, window: int) -> np.ndarray:
    """(N, window) float32 consecutive windows; the last partial one is zero-padded, or dropped if tiny."""
    count = len(samples) // window
    if len(samples) - count * window >= max(1, int(window * _TAIL)) or (count == 0 and len(samples)):
        count += 1
    padded = np.zeros(count * window, np.float32)
    padded[: min(len(samples), len(padded))] = samples[: len(padded)]
    return padded.reshape(count, window)


class CustomAudioModel(_OnnxClassifier):
    """An operator's ONNX audio classifier over fixed windows of the track (form Voice)."""

    def __init__(self, spec: CustomModel, *, threads: int = 1) -> None:
        super().__init__(spec, kind="audio", threads=threads)
        self._window = max(1, round(spec.window_seconds * 16000))
        length = self._input_shape[-1] if self._input_shape else None
        if isinstance(length, int) and length != self._window:
            raise ValueError(
                f"custom model {spec.path}: input takes {length} samples but window_seconds is "
                f"{spec.window_seconds} ({self._window} samples at 16 kHz)"
            )

    def __call__(self, audio: AudioTrack) -> list[Finding]:
        """Voice findings; adjacent windows with the same label merge into one finding with start and end."""
        if audio.sample_rate != 16000:
            raise ValueError(f"audio must be 16 kHz, got {audio.sample_rate} Hz")
        windows = audio_windows(np.asarray(audio.samples, np.float32), self._window)
        if not len(windows):
            return []
        inputs = windows[:, None, :] if len(self._input_shape) == 3 else windows
        seconds = self._window / 16000
        open_runs: dict[tuple[str, str], list[float]] = {}  # key → [start, end, confidence]
        findings = []
        for i, scores in enumerate(self._scores(inputs)):
            start, end = i * seconds, min((i + 1) * seconds, audio.duration)
            for key, confidence in scores.items():
                if confidence < self.spec.min_confidence:
                    if key in open_runs:
                        findings.append(self._finding(key, *open_runs.pop(key)))
                    continue
                run = open_runs.setdefault(key, [start, end, confidence])
                run[1], run[2] = end, max(run[2], confidence)
        findings.extend(self._finding(key, *run) for key, run in open_runs.items())
        return sorted(findings, key=lambda f: (f.start, f.label, f.sub_label))

    @staticmethod
    def _finding(key: tuple[str, str], start: float, end: float, confidence: float) -> Finding:
        return Finding(
            form="Voice",
            label=key[0],
            sub_label=key[1],
            confidence=round(confidence, 2),
            start=start,
            end=end,
        )


class CustomTextModel(_OnnxClassifier):
    """An operator's ONNX text classifier: a string tensor in (N or N x 1), one row of scores per text out.

    Text moderation asks it about every OCR line, speech sentence and text it is given, next to the lexicons;
    its hits carry no keywords (a model has none to show) and the label map's SubLabel.
    """

    def __init__(self, spec: CustomModel, *, threads: int = 1) -> None:
        super().__init__(spec, kind="text", threads=threads)

    def __call__(self, text: str) -> list[TextHit]:
        """A hit per mapped label whose confidence reaches ``min_confidence``, strongest first."""
        if not text.strip():
            return []
        (scores,) = self._scores(_text_batch([text], self._input_shape))
        hits = [
            TextHit(label, sub_label, round(confidence, 2), ())
            for (label, sub_label), confidence in scores.items()
            if confidence >= self.spec.min_confidence
        ]
        return sorted(hits, key=lambda h: -h.confidence)


def load_custom_models(
    specs: Sequence[CustomModel], *, threads: int = 1
) -> tuple[list[CustomImageModel], list[CustomAudioModel], list[CustomTextModel]]:
    """The configured custom models, split into frame, audio and text detectors; a bad entry raises."""
    images, audios, texts = [], [], []
    for spec in specs:
        if spec.kind == "image":
            images.append(CustomImageModel(spec, threads=threads))
        elif spec.kind == "audio":
            audios.append(CustomAudioModel(spec, threads=threads))
        elif spec.kind == "text":
            texts.append(CustomTextModel(spec, threads=threads))
        else:
            raise ValueError(
                f"custom model {spec.path}: kind must be 'image', 'audio' or 'text', not {spec.kind!r}"
            )
    return images, audios, texts
