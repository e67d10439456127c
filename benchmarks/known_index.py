"""The known-content bank: ``MemoryIndex`` with a million frame hashes, and what matching adds to a minute of video.

Times are CPU times of this process (``time.process_time``), so other jobs on a shared machine do not inflate
them; numpy runs these steps on one thread.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.figures import ROOT, Figure, now, percentile
from vodguard.moderation.config import Limits
from vodguard.moderation.known import RADIUS, KnownMatcher, MemoryIndex

FRAMES = 1_000_000
FRAMES_PER_ENTRY = 50  # a 50-second blocked clip at 1 fps
LOOKUPS = 2_000
VIDEO = ROOT / "tests" / "fixtures" / "text_video.mp4"  # 20 s, 640x360, a moving picture and captions


def _bank(rng: np.random.Generator) -> tuple[MemoryIndex, np.ndarray, float]:
    hashes = rng.integers(0, 1 << 63, FRAMES, dtype=np.uint64) * np.uint64(2) + rng.integers(
        0, 2, FRAMES, dtype=np.uint64
    )
    ids = [f"entry{i // FRAMES_PER_ENTRY}" for i in range(FRAMES)]
    times = (np.arange(FRAMES) % FRAMES_PER_ENTRY).astype(np.float64)
    start = time.process_time()
    index = MemoryIndex()
    index.add_arrays(ids, times, hashes)
    len(index)  # builds the buckets
    return index, hashes, time.process_time() - start


def _near(rng: np.random.Generator, hashes: np.ndarray, n: int) -> list[int]:
    """Banked hashes with 0..RADIUS of their bits flipped (half of the lookups), and random ones."""
    out = []
    for i in range(n):
        if i % 2:
            out.append(int(rng.integers(0, 1 << 63, dtype=np.uint64)) * 2 + int(rng.integers(0, 2)))
            continue
        value = int(hashes[int(rng.integers(0, len(hashes)))])
        for bit in rng.choice(64, size=int(rng.integers(0, RADIUS + 1)), replace=False):
            value ^= 1 << int(bit)
        out.append(value)
    return out


def _per_minute(index: MemoryIndex) -> tuple[float, int]:
    """CPU seconds that hashing and looking up add to a minute of ``VIDEO``, and the frames it samples a minute.

    The frames are decoded first (the engine decodes them anyway); what is timed is ``KnownMatcher.add`` on the
    engine's batches of 8: the hashes from the sampler's thumbnails, and one lookup per batch.
    """
    from vodguard.moderation import media
    from vodguard.moderation.config import EngineConfig

    config = EngineConfig()
    info = media.probe(VIDEO, Limits())
    frames = list(
        media.sample_frames(
            VIDEO,
            info,
            interval=config.frame_interval,
            scene_threshold=config.scene_threshold,
            dedupe_hamming=config.dedupe_hamming,
            limits=Limits(),
        )
    )
    matcher = KnownMatcher(index)
    start = time.process_time()
    for i in range(0, len(frames), 8):
        matcher.add(frames[i : i + 8])
    spent = time.process_time() - start
    minutes = float(info.duration or 1.0) / 60
    return spent / minutes, round(len(frames) / minutes)


def index(notes: list[str]) -> list[Figure]:
    """Build a bank of a million random hashes, time single lookups at the rule's radius, and a minute of video."""
    rng = np.random.default_rng(16)
    bank, hashes, build = _bank(rng)
    single = []
    for query in _near(rng, hashes, LOOKUPS):
        start = time.process_time()
        bank.lookup([query], RADIUS)
        single.append((time.process_time() - start) * 1000)
    batches = []
    queries = _near(rng, hashes, 16 * 200)
    for i in range(0, len(queries), 16):
        start = time.process_time()
        bank.lookup(queries[i : i + 16], RADIUS)
        batches.append((time.process_time() - start) * 1000)
    minute, frames = _per_minute(bank)
    empty, _ = _per_minute(MemoryIndex())
    notes.append(
        f"Known content index: measured {now()}; {FRAMES:,} uniformly random 64-bit hashes in {FRAMES // FRAMES_PER_ENTRY:,} "
        f"entries, radius {RADIUS} (multi-index hashing, 4 x 16-bit chunks, {RADIUS // 4} bits a chunk); half "
        f"the lookups near a banked hash. Real pHashes fill the buckets less evenly than random ones, so a real "
        f"bank of this size reads more frames a lookup. A minute of video: {VIDEO.name}, {frames} sampled frames "
        f"a minute, hashed straight and mirrored and looked up in batches of 8 frames (16 hashes)."
    )
    return [
        Figure(
            "known.index.build", f"Known content index: build, {FRAMES:,} hashes", build, "s", better="lower"
        ),
        Figure(
            "known.index.lookup.p50",
            f"Known content index: one hash, radius {RADIUS}, p50",
            percentile(single, 50),
            "ms",
            better="lower",
        ),
        Figure(
            "known.index.lookup.p95",
            f"Known content index: one hash, radius {RADIUS}, p95",
            percentile(single, 95),
            "ms",
            better="lower",
        ),
        Figure(
            "known.index.batch.p50",
            "Known content index: a batch of 8 frames (16 hashes), p50",
            percentile(batches, 50),
            "ms",
            better="lower",
        ),
        Figure(
            "known.video.per_minute",
            "Known content: hashing + lookups added per minute of video (1M-hash bank)",
            minute,
            "s/min",
            better="lower",
        ),
        Figure(
            "known.video.per_minute_empty",
            "Known content: hashing alone, nothing found (the engine skips even this for a bank that says it is empty)",
            empty,
            "s/min",
            better="lower",
        ),
    ]


if __name__ == "__main__":
    found: list[str] = []
    for figure in index(found):
        print(f"{figure.title}: {figure.value:.3f} {figure.unit}")
    print(*found, sep="\n")
