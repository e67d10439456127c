"""Text in pictures (Form OCR): RapidOCR's bundled PP-OCRv6 det/rec, a change gate, then text moderation.

* ``reader.py``: ``OcrReader``, the det and rec stages on RGB frames;
* ``gate.py``: ``ChangeGate``, which re-reads only what changed since the last frame read;
* ``cells.py``: ``TextCells``, which tell where a busy picture holds lines, so det need not read it whole;
* ``layout.py``: lines grouped into blocks of text, and the lines that carry a hit's keywords;
* ``boxes.py``: the box geometry they share.

``OcrDetector`` moderates per text block, not per line or per frame: lines stacked close together are
joined, so a phrase broken over two caption lines still matches, while a caption and a corner clock stay
apart. A hit's box is the union of the lines that carry its keywords.
"""

from __future__ import annotations

from collections.abc import Sequence

from vodguard.moderation.detectors.ocr.boxes import union_box
from vodguard.moderation.detectors.ocr.gate import ChangeGate, FrameText, same_text
from vodguard.moderation.detectors.ocr.layout import join_lines, lines_with_keywords, text_blocks
from vodguard.moderation.detectors.ocr.reader import OcrLine, OcrPage, OcrReader
from vodguard.moderation.types import Finding, Frame, ModerateText, TextHit

__all__ = [
    "ChangeGate",
    "FrameText",
    "OcrDetector",
    "OcrLine",
    "OcrPage",
    "OcrReader",
    "OcrSession",
    "same_text",
    "text_blocks",
]


class OcrDetector:
    """Form OCR: reads the text in frames and turns each text-moderation hit into a ``Finding``.

    Text is moderated per block: lines stacked close together (a two-line caption) are joined, lines far apart
    (a caption and a corner clock) are not. Each block gives one finding per frame it is on.

    ``detector(frames)`` reads one sequence with a fresh change gate. A caller that feeds one file in several
    batches should take ``session = detector.session()`` per file and call ``session(batch)``, so the gate and
    the text verdicts carry over from batch to batch; a session belongs to one thread.
    """

    name = "ocr"
    # The labels text in a picture can carry. Porn is one: a template of Porn alone must still catch "free porn
    # videos" in a caption, as the cloud's does. Moan is a matter of sound, not of captions.
    labels = frozenset({"Porn", "Terror", "Polity", "Ad", "Illegal", "Abuse"})

    def __init__(
        self,
        text_moderator: ModerateText,
        reader: OcrReader | None = None,
        *,
        gate: bool = True,
        steady: bool = True,
        ticking: bool = True,
    ) -> None:
        """``gate``: re-read only what changed from frame to frame (``ChangeGate``); ``steady``: in the gate,
        skip det where the text screen sees only lines read before (``steady.py``); ``ticking``: in the gate,
        read a ticking line (a clock) again only at every 8th change."""
        self._moderate = text_moderator
        self._reader = reader if reader is not None else OcrReader()
        self._gate = gate
        self._steady = steady
        self._ticking = ticking

    @property
    def reader(self) -> OcrReader:
        """The det and rec stages this detector reads with."""
        return self._reader

    def session(
        self, *, moderate: ModerateText | None = None, pictures: bool = False, ticking: bool | None = None
    ) -> OcrSession:
        """A reader for the frames of one file, in batches, that remembers what it has read. ``moderate`` stands
        in for the detector's text moderator in this session (the engine passes one that also reads the
        template's custom labels); ``pictures``: the frames are a picture's, not a video's (``ChangeGate``);
        ``ticking``: this file's choice (a template's budget), instead of the detector's."""
        return OcrSession(
            self._reader,
            moderate or self._moderate,
            gate=self._gate,
            pictures=pictures,
            steady=self._steady,
            ticking=self._ticking if ticking is None else ticking,
        )

    def read_frames(self, frames: Sequence[Frame]) -> list[FrameText]:
        """The lines of every frame, in order; with the gate on, only what changed is read again."""
        return self.session().read_frames(frames)

    def __call__(self, frames: Sequence[Frame], *, moderate: ModerateText | None = None) -> list[Finding]:
        """Findings for every text block the text moderator (or ``moderate``) flags, one per frame it is on."""
        return self.session(moderate=moderate)(frames)


class OcrSession:
    """The state of reading one file: its change gate and the verdicts on text already moderated."""

    def __init__(
        self,
        reader: OcrReader,
        text_moderator: ModerateText,
        *,
        gate: bool = True,
        pictures: bool = False,
        steady: bool = True,
        ticking: bool = True,
    ) -> None:
        self._reader = reader
        self._moderate = text_moderator
        self._gate = ChangeGate(reader, pictures=pictures, steady=steady, ticking=ticking) if gate else None
        self._verdicts: dict[str, list[TextHit]] = {}  # a caption stays on many frames: moderate it once
        self.recognised = 0  # crops sent to rec so far (the engine reports them as the stage "ocr_rec")

    def read_frames(self, frames: Sequence[Frame]) -> list[FrameText]:
        """The lines of every frame, in order, reusing what is unchanged since the last frame read."""
        if self._gate is not None:
            out = [self._gate.read(frame) for frame in frames]
        else:
            out = []
            for frame in frames:
                page = self._reader.read(frame.image)
                out.append(FrameText(frame, page.lines, page.recognised, (0, 0, frame.width, frame.height)))
        self.recognised += sum(page.recognised for page in out)
        return out

    def __call__(self, frames: Sequence[Frame]) -> list[Finding]:
        """Findings for every text block the text moderator flags, one per frame it is on."""
        findings: list[Finding] = []
        for page in self.read_frames(frames):
            for block in text_blocks(page.lines):
                text, spans = join_lines(block)
                if text not in self._verdicts:
                    self._verdicts[text] = self._moderate(text)
                for hit in self._verdicts[text]:
                    carriers = lines_with_keywords(block, spans, text, hit.keywords)
                    findings.append(
                        Finding(
                            form="OCR",
                            label=hit.label,
                            sub_label=hit.sub_label,
                            # a hit on misread text is worth less: scale by the weakest line it rests on
                            confidence=round(hit.confidence * min(line.score for line in carriers), 2),
                            start=page.frame.time,
                            end=page.frame.time,
                            box=union_box([line.box for line in carriers]),
                            text=text,
                            keywords=hit.keywords,
                            frame_index=page.frame.index,
                        )
                    )
        return findings
