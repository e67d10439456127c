"""Known content: perceptual hashes of frames, the bank lookup interface, and the rule that calls a file a copy.

A frame's hash is the engine's 64-bit pHash (``sampling.phash``) of its 32x32 thumbnail, once straight and once
mirrored, so a horizontally flipped copy matches too. A bank holds the straight hashes of blocked media, frame by
frame with their times; ``KnownLookup`` is how the engine asks a bank for the frames near a set of hashes, and
``MemoryIndex`` is the in-memory bank (multi-index hashing). ``KnownMatcher`` collects the answers for one file
and applies the match rule; a match is reported as ``KnownMatch`` on ``ModerationResult.known_match``.

The rule, chosen from ``scripts/measure_known_variants.py`` (docs/quality.md, "Known content"): a query frame
matches a bank frame within ``RADIUS`` bits; a file matches a bank entry when its matched frames, taken in order
of time in both files, form a chain of at least ``MIN_FRAMES`` frames (every informative frame, for a file with
fewer) that covers at least ``MIN_SHARE`` of the file's informative frames. Nearly flat frames (fades to
black, blank cards) carry no picture, so they are neither banked nor looked up.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from vodguard.moderation.sampling import _LUMA, phash, thumbnail

if TYPE_CHECKING:
    from vodguard.moderation.config import Limits
    from vodguard.moderation.types import Frame

RADIUS = 8  # bits of 64: how far a query frame's hash may be from a bank frame's
MIN_FRAMES = 3  # matched frames in order, at least (or every informative frame of a shorter file)
MIN_SHARE = 0.5  # of the file's informative frames that the chain covers
# Grey-level standard deviation (0..255) of the thumbnail under which a frame is flat: its pHash bits are noise
# around the median, and every black frame would match every other.
MIN_CONTRAST = 6.0
# A bank keeps each frame whole and its centre 90 %: a copy cropped by 5 % a side then matches the second as
# closely as an uncropped copy matches the first (the pHash alone drifts by about 10 bits at that crop).
BANK_CROPS = (1.0, 0.9)
CANDIDATES_PER_FRAME = 8  # bank frames kept per query frame and entry, the nearest first


@dataclass(frozen=True)
class FrameHash:
    """A sampled frame's hashes: its time in the file (s), its pHash, and the pHash of its mirror image.

    A bank keeps ``straight`` (and ``time``) of every ``FrameHash`` of a blocked file; ``flipped`` is what a
    query also looks up, so a mirrored copy finds the straight bank frames.
    """

    time: float
    straight: int
    flipped: int


@dataclass(frozen=True)
class Candidate:
    """A bank frame within the radius of a looked-up hash: which entry, its time there, and how far it is."""

    entry_id: str
    time: float
    distance: int
    query_hash: int


class KnownLookup(Protocol):
    """A bank of known content that can be searched by Hamming distance (not by a full scan)."""

    def lookup(self, hashes: Sequence[int], radius: int) -> list[Candidate]:
        """Every bank frame within ``radius`` bits of any of ``hashes``, with the hash it is near."""
        ...


@dataclass(frozen=True)
class MatchedFrame:
    """One frame of a match: its time in the file, the time of the bank frame it matched, their distance, and
    whether the file's frame matched mirrored."""

    time: float
    entry_time: float
    distance: int
    flipped: bool


@dataclass(frozen=True)
class KnownMatch:
    """A file that copies a bank entry: the entry, the frames that matched in order, and the share of the file's
    informative frames they cover (0..1)."""

    entry_id: str
    frames: list[MatchedFrame]
    score: float


def is_empty(bank: KnownLookup) -> bool:
    """True for a bank that can tell its size (``len``) and holds nothing: the engine then hashes nothing."""
    return isinstance(bank, Sized) and len(bank) == 0


def thumb_hashes(thumb: np.ndarray) -> tuple[int, int] | None:
    """(straight, flipped) pHashes of a THUMB_SIDE-square RGB thumbnail, or None for a flat one.

    The thumbnail's columns are block means, so the mirror image's thumbnail is the thumbnail mirrored.
    """
    gray = thumb @ _LUMA if thumb.ndim == 3 else thumb
    if float(gray.std()) < MIN_CONTRAST:
        return None
    return phash(gray), phash(gray[:, ::-1])


def hash_frame(image: np.ndarray) -> tuple[int, int]:
    """(straight, flipped) 64-bit pHashes of an RGB ``uint8`` frame (flat frames too: see ``is_flat``)."""
    gray = thumbnail(image) @ _LUMA
    return phash(gray), phash(gray[:, ::-1])


def is_flat(image: np.ndarray) -> bool:
    """True for a frame with too little contrast to be matched (its hashes are noise)."""
    return float((thumbnail(image) @ _LUMA).std()) < MIN_CONTRAST


def frame_hashes(frame: Frame) -> tuple[int, int] | None:
    """``thumb_hashes`` of a sampled frame, from the sampler's thumbnail when it made one."""
    return thumb_hashes(frame.thumb if frame.thumb is not None else thumbnail(frame.image))


def hash_file(path: str | Path, limits: Limits, *, crops: Sequence[float] = BANK_CROPS) -> list[FrameHash]:
    """The hashes of a file's informative frames, sampled as the engine samples them (at least 1 fps, plus
    keyframes and cuts, near-duplicates dropped); a still picture is one frame at time 0, and none if it is flat.

    Each frame gives one ``FrameHash`` per share of it in ``crops``, in that order and at the frame's time: the
    whole frame, then its centre ``BANK_CROPS[1]`` (what a copy cropped by 5 % a side shows). Raises the
    engine's ``SourceFileError``/``MediaLimitExceeded`` for a file it cannot or may not read.
    """
    from vodguard.moderation import media  # PyAV loads only when a file is hashed
    from vodguard.moderation.config import EngineConfig

    config = EngineConfig(limits=limits)
    path = Path(path)
    info = media.probe(path, limits)
    frames = media.sample_frames(
        path,
        info,
        interval=config.frame_interval,
        scene_threshold=config.scene_threshold,
        dedupe_hamming=config.dedupe_hamming,
        limits=limits,
    )
    out: list[FrameHash] = []
    try:
        for frame in frames:
            for share in crops:
                hashes = (
                    frame_hashes(frame)
                    if share >= 1.0
                    else thumb_hashes(thumbnail(_centre(frame.image, share)))
                )
                if hashes is not None:
                    out.append(FrameHash(frame.time, *hashes))
            if info.category == "Image":
                break  # a picture is its first frame
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()
    return out


def _centre(image: np.ndarray, share: float) -> np.ndarray:
    h, w = image.shape[:2]
    dy, dx = round(h * (1 - share) / 2), round(w * (1 - share) / 2)
    return image[dy : h - dy, dx : w - dx]


@dataclass
class _Pair:
    time: float  # in the file
    entry_time: float
    distance: int


@dataclass
class KnownMatcher:
    """The known-content check of one file: feed it frames in time order, then ask for the match.

    Not thread-safe; one per moderation call.
    """

    bank: KnownLookup
    radius: int = RADIUS
    min_frames: int = MIN_FRAMES
    min_share: float = MIN_SHARE
    informative: int = 0  # frames looked up
    # (entry, flipped) -> query time -> bank frames near it
    _pairs: dict[tuple[str, bool], dict[float, list[_Pair]]] = field(default_factory=dict)

    def add(self, frames: Iterable[Frame]) -> None:
        """Hash the frames, look them up in one call, and keep what the bank answered."""
        wanted: dict[int, list[tuple[float, bool]]] = {}
        for frame in frames:
            hashes = frame_hashes(frame)
            if hashes is None:
                continue
            self.informative += 1
            wanted.setdefault(hashes[0], []).append((frame.time, False))
            wanted.setdefault(hashes[1], []).append((frame.time, True))
        if wanted:
            self.add_candidates(wanted, self.bank.lookup(list(wanted), self.radius))

    def add_hashes(self, hashes: Iterable[FrameHash]) -> None:
        """The same as ``add`` for frames already hashed (``hash_file``'s output)."""
        wanted: dict[int, list[tuple[float, bool]]] = {}
        for h in hashes:
            self.informative += 1
            wanted.setdefault(h.straight, []).append((h.time, False))
            wanted.setdefault(h.flipped, []).append((h.time, True))
        if wanted:
            self.add_candidates(wanted, self.bank.lookup(list(wanted), self.radius))

    def add_candidates(self, wanted: dict[int, list[tuple[float, bool]]], found: Sequence[Candidate]) -> None:
        for candidate in found:
            if candidate.distance > self.radius:
                continue  # a bank that answered more than it was asked
            for time, flipped in wanted.get(candidate.query_hash, ()):
                near = self._pairs.setdefault((candidate.entry_id, flipped), {}).setdefault(time, [])
                near.append(_Pair(time, candidate.time, candidate.distance))
                if len(near) > 4 * CANDIDATES_PER_FRAME:
                    near.sort(key=lambda p: p.distance)
                    del near[CANDIDATES_PER_FRAME:]

    def best(self) -> KnownMatch | None:
        """The entry with the longest in-order chain of matched frames (ties: the nearer), rule or not."""
        best: KnownMatch | None = None
        best_key: tuple[int, float] = (0, 0.0)
        for (entry_id, flipped), by_time in self._pairs.items():
            chain = _longest_chain(by_time)
            if not chain:
                continue
            key = (len(chain), -sum(p.distance for p in chain) / len(chain))
            if best is None or key > best_key:
                frames = [MatchedFrame(p.time, p.entry_time, p.distance, flipped) for p in chain]
                best = KnownMatch(entry_id, frames, len(chain) / max(self.informative, 1))
                best_key = key
        return best

    def match(self) -> KnownMatch | None:
        """The best chain if it passes the rule (enough frames, enough of the file), else None."""
        best = self.best()
        if best is None:
            return None
        needed = min(self.min_frames, self.informative)
        if len(best.frames) >= needed and best.score >= self.min_share:
            return best
        return None


def _longest_chain(by_time: dict[float, list[_Pair]]) -> list[_Pair]:
    """The longest run of pairs with rising file times and non-decreasing bank times (one pair per file time).

    Patience sorting, O(n log n): within one file time the pairs go in by falling bank time, so no two of
    them can follow each other; among equally long chains the one ending earliest in the bank is kept.
    """
    tails: list[float] = []  # tails[k]: the smallest bank time that ends a chain of k + 1 pairs
    ends: list[int] = []  # index in ``order`` of that chain's last pair
    parent: list[int] = []
    order: list[_Pair] = []
    for time in sorted(by_time):
        near = sorted(by_time[time], key=lambda p: p.distance)[:CANDIDATES_PER_FRAME]
        seen: set[float] = set()
        for pair in sorted(near, key=lambda p: (-p.entry_time, p.distance)):
            if pair.entry_time in seen:
                continue
            seen.add(pair.entry_time)
            k = bisect.bisect_right(tails, pair.entry_time)
            order.append(pair)
            parent.append(ends[k - 1] if k > 0 else -1)
            if k == len(tails):
                tails.append(pair.entry_time)
                ends.append(len(order) - 1)
            else:
                tails[k] = pair.entry_time
                ends[k] = len(order) - 1
    if not ends:
        return []
    chain = []
    i = ends[-1]
    while i >= 0:
        chain.append(order[i])
        i = parent[i]
    return chain[::-1]


_CHUNKS = 4  # multi-index hashing: the 64 bits in 4 chunks of 16
_CHUNK_BITS = 16
_CHUNK_VALUES = 1 << _CHUNK_BITS
_POPCOUNT16 = np.bitwise_count(np.arange(_CHUNK_VALUES, dtype=np.uint16))


@dataclass(frozen=True)
class _Built:
    """The index's arrays: frames sorted into buckets by each chunk's value."""

    hashes: np.ndarray  # uint64, one per bank frame
    times: np.ndarray  # float64
    entries: np.ndarray  # int64 index into MemoryIndex's entry ids
    offsets: (
        np.ndarray
    )  # (chunks, 65537) int64: bucket v of chunk c is order[c, offsets[c, v]:offsets[c, v + 1]]
    order: np.ndarray  # (chunks, frames) int32: frame numbers sorted by each chunk's value


class MemoryIndex:
    """A bank of frame hashes in memory, searched by multi-index hashing (``KnownLookup``).

    Two hashes within ``r`` bits agree within ``r // 4`` bits on at least one of their four 16-bit chunks
    (otherwise each chunk would differ by more, and the whole by more than ``r``). So a lookup visits, per chunk,
    only the buckets of the chunk values within ``r // 4`` bits of the query's (137 of 65,536 at r = 8 or 10) and
    checks the full distance of the frames in them. Adding or removing entries rebuilds the buckets on the next
    lookup; lookups may come from several threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._index: dict[str, int] = {}
        self._hashes: list[np.ndarray] = []
        self._times: list[np.ndarray] = []
        self._entries: list[np.ndarray] = []
        self._removed: set[int] = set()
        self._built: _Built | None = None

    def add(self, entry_id: str, hashes: Iterable[FrameHash]) -> None:
        """Bank the straight hashes of an entry's frames (a mirrored copy is caught by the query's flip)."""
        rows = list(hashes)
        self.add_arrays(
            [entry_id] * len(rows),
            np.array([h.time for h in rows], dtype=np.float64),
            np.array([h.straight for h in rows], dtype=np.uint64),
        )

    def add_arrays(self, entry_ids: Sequence[str], times: np.ndarray, hashes: np.ndarray) -> None:
        """Bank many frames at once: ``entry_ids[i]`` holds the frame at ``times[i]`` with hash ``hashes[i]``."""
        if not (len(entry_ids) == len(times) == len(hashes)):
            raise ValueError("entry_ids, times and hashes must have the same length")
        with self._lock:
            numbers = np.empty(len(entry_ids), dtype=np.int64)
            for i, entry_id in enumerate(entry_ids):
                number = self._index.get(entry_id)
                if number is None or number in self._removed:
                    number = self._index[entry_id] = len(self._ids)
                    self._ids.append(entry_id)
                numbers[i] = number
            self._hashes.append(np.asarray(hashes, dtype=np.uint64))
            self._times.append(np.asarray(times, dtype=np.float64))
            self._entries.append(numbers)
            self._built = None

    def remove(self, entry_id: str) -> None:
        """Forget every frame of ``entry_id`` (nothing happens for an unknown id)."""
        with self._lock:
            number = self._index.pop(entry_id, None)
            if number is not None:
                self._removed.add(number)
                self._built = None

    def __len__(self) -> int:
        """The number of banked frames."""
        return len(self._build().hashes)

    def _build(self) -> _Built:
        with self._lock:
            if self._built is not None:
                return self._built
            hashes = np.concatenate(self._hashes) if self._hashes else np.zeros(0, np.uint64)
            times = np.concatenate(self._times) if self._times else np.zeros(0, np.float64)
            entries = np.concatenate(self._entries) if self._entries else np.zeros(0, np.int64)
            if self._removed:
                keep = ~np.isin(entries, np.fromiter(self._removed, np.int64))
                hashes, times, entries = hashes[keep], times[keep], entries[keep]
            self._hashes, self._times, self._entries = [hashes], [times], [entries]
            offsets = np.zeros((_CHUNKS, _CHUNK_VALUES + 1), dtype=np.int64)
            order = np.empty((_CHUNKS, len(hashes)), dtype=np.int32)
            for c in range(_CHUNKS):
                values = ((hashes >> np.uint64(c * _CHUNK_BITS)) & np.uint64(_CHUNK_VALUES - 1)).astype(
                    np.int64
                )
                order[c] = np.argsort(values, kind="stable")
                np.cumsum(np.bincount(values, minlength=_CHUNK_VALUES), out=offsets[c, 1:])
            self._built = _Built(hashes, times, entries, offsets, order)
            return self._built

    def lookup(self, hashes: Sequence[int], radius: int) -> list[Candidate]:
        """Every banked frame within ``radius`` bits of one of ``hashes`` (``KnownLookup``)."""
        if radius < 0 or radius >= 64:
            raise ValueError(f"radius must be within 0..63 bits, not {radius}")
        built = self._build()
        if not len(built.hashes) or not hashes:
            return []
        masks = np.flatnonzero(_POPCOUNT16 <= radius // _CHUNKS)
        frames = built.order.shape[1]
        out: list[Candidate] = []
        for query in dict.fromkeys(hashes):
            q = np.uint64(query)
            # bucket keys of every chunk, as rows of one flat (chunk, value) table
            keys = np.concatenate(
                [((query >> (c * _CHUNK_BITS)) & (_CHUNK_VALUES - 1)) ^ masks for c in range(_CHUNKS)]
            )
            chunk = np.repeat(np.arange(_CHUNKS), len(masks))
            starts = built.offsets[chunk, keys]
            lengths = built.offsets[chunk, keys + 1] - starts
            total = int(lengths.sum())
            if not total:
                continue
            # positions start..start+length-1 of every bucket, flattened, in the order table of its chunk
            first = np.repeat(starts - np.cumsum(lengths) + lengths + chunk * frames, lengths)
            found = np.unique(built.order.ravel()[first + np.arange(total)])
            distances = np.bitwise_count(built.hashes[found] ^ q)
            near = distances <= radius
            for frame, distance in zip(found[near].tolist(), distances[near].tolist(), strict=True):
                entry = self._ids[int(built.entries[frame])]
                out.append(Candidate(entry, float(built.times[frame]), int(distance), query))
        return out
