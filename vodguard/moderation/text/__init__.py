"""Text moderation for OCR lines, speech transcripts and any other text, in English and Simplified Chinese.

``TextModerator()(text, labels=...)`` returns at most one ``TextHit`` per label: the strongest evidence for that
label with every keyword of the label found in the text. Evidence comes from

* the lexicons in ``data/`` (matched over normalised text, see ``normalize.py`` and ``lexicon.py``),
* advertising patterns (``ads.py``),
* two abuse models (``classifiers.py``): alt-profanity-check's for English (as arrays), a char n-gram model trained on COLD
  for Chinese,
* meaning-level models, which read intent that no keyword names ("I am going to blow up the central train station
  tomorrow morning"): logistic heads on a multilingual sentence embedding (``intent.py`` on ``encoder.py``), and,
  for the texts they find suspicious, multilingual-e5-small with its top layers tuned to the labels
  (``intent_model.py``), the two blended.

Confidence scale (0..100), read by the policy with per-label thresholds (defaults: review >= 50, block >= 90):

* 95–99  a block-worthy lexicon term (``傻逼``, ``child porn``, ``代开发票``), +2 for each further distinct one;
  an ad that gives a way to reach someone and pushes to do it (contact/phone + call to action) is 95,
  contact + phone or three kinds of ad signal 92;
* 85     two kinds of ad signal (URL + call to action...); a weak abuse term that a model agrees with;
* 60–80  review-worthy: a weak lexicon term (60, +8 for each further distinct one, at most 80); a lone URL (60),
  phone number (65), contact handle (70) or call to action (55);
* 50–80  a model-only abuse hit (sub-label ``Offensive``, no keywords), scaled from the model's threshold to 1.0;
  models never reach block on their own, because "offensive" in their training data also covers remarks that
  insult no one.
* 60–80  a meaning-level hit alone (sub-label ``Intent``, no keywords), scaled from the label's review threshold
  (``presets.INTENT_THRESHOLDS``) to 1.0; 95 only for labels whose heads measured block-worthy precision on the
  held-out test split and only above their block threshold.
* 85     a lexicon or ad-pattern hit that the meaning-level head agrees with (never lower than the hit's own).
* one weak cue alone (a single review-level term, or one kind of ad signal) needs the meaning-level blend's
  support for labels where such lone cues were often wrong on dev: where the blend's highest probability of any
  label (the text reads as a violation; a gambling invitation may read as an Ad) is below the label's floor
  (``presets.LEXICON_SUPPORT``), the cue is dropped. On dev, lone cues were a third of the clean near-misses
  flagged (news of a seizure, a game's rifle), while the right ones mostly had the model's support; two distinct
  terms, or two kinds of ad signal, stand on their own. The abuse models are not cues but trained readings with
  their own thresholds, and their hit alone stands unless the meaning-level blend reads the text's Abuse
  probability below ``presets.MODEL_SUPPORT`` (0.2): the Chinese model, trained on COLD's comments about race,
  region and gender, also reads offence into jokes, idioms and weather complaints ("说好的晴天呢 天气预报又骗人"),
  which was the largest single source of flagged near-misses on dev. At that floor COLD's dev accuracy is
  unchanged (0.917; a fifth of a point of its recall lost) and no Abuse sentence of our dev split is lost.
* an operator's text model (``extra``) gives 100 x its probability, and leads its label when stronger; an app's
  custom label (``CustomHead``) reports like a meaning-level hit, under its own sub-label.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.presets import (
    INTENT_SCREEN,
    INTENT_THRESHOLDS,
    INTENT_THRESHOLDS_USE_ONLY,
    LEXICON_SUPPORT,
    MODEL_SUPPORT,
    IntentThresholds,
)
from vodguard.moderation.text.ads import AdSignal, find_ad_signals, merge_signals, score_ad
from vodguard.moderation.text.classifiers import ChineseAbuseModel, EnglishAbuseModel, cjk_count
from vodguard.moderation.text.encoder import SentenceEncoder, windows
from vodguard.moderation.text.intent import CustomHead, IntentHeads
from vodguard.moderation.text.intent_model import TunedIntentModel, tuned_unavailable_reason
from vodguard.moderation.text.lexicon import Lexicon, LexiconHit
from vodguard.moderation.types import LABELS, TextHit

__all__ = ["Evidence", "TextModerator", "get_text_moderator"]

BLOCK_TERM = 95.0
REVIEW_TERM = 60.0
MODEL_FLOOR, MODEL_CEILING = 50.0, 80.0
AGREEMENT = 85.0
INTENT_FLOOR, INTENT_CEILING, INTENT_BLOCK = 60.0, 80.0, 95.0
MIN_CJK_FOR_MODEL = 4  # a few characters tell the Chinese model nothing


def _lexicon_hit(label: str, hits: list[LexiconHit]) -> TextHit:
    """One label's hit from its lexicon matches: block terms outrank review terms."""
    strong = [h for h in hits if h.term.block]
    lead = strong or hits
    distinct = len({h.keyword.lower() for h in lead})
    if strong:
        confidence = min(BLOCK_TERM + 2.0 * (distinct - 1), 99.0)
    else:
        confidence = min(REVIEW_TERM + 8.0 * (distinct - 1), MODEL_CEILING)
    keywords = tuple(dict.fromkeys(h.keyword for h in hits))
    return TextHit(label, lead[0].term.sub_label, confidence, keywords)


def _model_confidence(
    probability: float, threshold: float, floor: float = MODEL_FLOOR, ceiling: float = MODEL_CEILING
) -> float:
    """Map a probability at or above ``threshold`` onto the band floor..ceiling; 0 below it."""
    if probability < threshold:
        return 0.0
    span = max(1.0 - threshold, 1e-9)
    return floor + (ceiling - floor) * min((probability - threshold) / span, 1.0)


@dataclass
class Evidence:
    """What the lexicons, ad patterns and abuse models found in one text, before the meaning-level models:
    at most one hit per label, and the labels whose hit rests on one weak lexicon or ad cue alone (``lone``)."""

    hits: dict[str, TextHit] = field(default_factory=dict)
    lone: set[str] = field(default_factory=set)
    # labels whose hit is an abuse model's reading alone (no lexicon term): it needs the blend's word for the label
    unconfirmed: set[str] = field(default_factory=set)


def _with_intent(
    label: str,
    probability: float,
    known: TextHit | None,
    thresholds: Mapping[str, IntentThresholds],
    *,
    lone: bool = False,
    unconfirmed: bool = False,
    support: float = 1.0,
    floors: Mapping[str, float] | None = None,
) -> TextHit | None:
    """Combine one label's meaning-level probability with what the lexicons and patterns found.

    ``lone``: ``known`` rests on one weak cue, which stands only where ``support`` (the blend's highest probability
    of any label) reaches the label's floor (``floors``; None where the tuned model cannot run: every cue stands).
    ``unconfirmed``: ``known`` is an abuse model's reading alone, which stands only where ``probability`` reaches
    ``MODEL_SUPPORT`` (again only where the tuned model runs).
    """
    limits = thresholds.get(label)
    if limits is None or probability < limits.review:
        if known is not None and floors is not None:
            if lone and support < floors.get(label, 0.0):
                return None  # one weak cue that the meaning-level model does not support
            if unconfirmed and probability < MODEL_SUPPORT:
                return None  # the abuse model read offence where the meaning-level model reads none
        return known  # the head is silent: the lexicon's evidence stands as it was
    if known is not None:
        return TextHit(label, known.sub_label, max(AGREEMENT, known.confidence), known.keywords)
    if limits.block is not None and probability >= limits.block:
        return TextHit(label, "Intent", INTENT_BLOCK, ())
    confidence = _model_confidence(probability, limits.review, INTENT_FLOOR, INTENT_CEILING)
    return TextHit(label, "Intent", round(confidence, 1), ())


class TextModerator:
    """Loads the lexicons and models once; calling it afterwards is thread-safe (nothing changes per call)."""

    def __init__(
        self,
        *,
        lexicon_dir: Path | None = None,
        zh_model_path: Path | None = None,
        intent_path: Path | None = None,
        tuned_path: Path | None = None,
        extra: Sequence[Callable[[str], list[TextHit]]] = (),
        models_dir: Path | None = None,
    ) -> None:
        """``models_dir``: where derived tables are kept between starts (``EngineConfig.models_dir``)."""
        self._lexicon = Lexicon.load(lexicon_dir)
        self._english = EnglishAbuseModel()
        self._chinese = ChineseAbuseModel(zh_model_path)
        self.heads = IntentHeads(intent_path)
        self.encoder = SentenceEncoder(models_dir)
        # the tuned model where its base weights are installed; without it the USE heads answer alone (text/intent.py)
        self.tuned: TunedIntentModel | None = (
            None if tuned_unavailable_reason() else TunedIntentModel(tuned_path)
        )
        if self.tuned is not None and self.tuned.labels != self.heads.labels:
            raise ModelUnavailable(
                "the tuned text model and the intent heads disagree on labels; reinstall vodguard"
            )
        self._thresholds = INTENT_THRESHOLDS if self.tuned is not None else INTENT_THRESHOLDS_USE_ONLY
        # the floors were chosen for the blend; the USE heads alone leave every cue standing
        self._floors: Mapping[str, float] | None = LEXICON_SUPPORT if self.tuned is not None else None
        self._extra = tuple(extra)  # operator models (detectors/custom.py CustomTextModel)

    def __call__(
        self, text: str, *, labels: Collection[str] | None = None, custom: Sequence[CustomHead] = ()
    ) -> list[TextHit]:
        """At most one hit per label found in ``text`` (only ``labels`` if given), strongest first.

        ``custom`` are an app's own labels (its template's examples): a hit reports under the head's label and
        sub-label, and leads that label when it is stronger than what the built-in evidence found.
        """
        wanted = set(LABELS) if labels is None else set(labels)
        if not text or not text.strip() or not wanted:
            return []
        # a text with no letters (a clock, a score, a price) has no meaning for the heads to read: skip the encoders
        pieces = windows(text) if any(char.isalpha() for char in text) else []
        vectors = self.encoder.encode(pieces)
        # the Chinese abuse model's embedding head reads the vector of the whole text, which one window is
        found = self.evidence(text, wanted, vectors[0] if len(pieces) == 1 else None)
        results = found.hits
        if vectors.shape[0]:
            # a long text counts where it is worst
            asks = bool(found.lone or found.unconfirmed)
            probabilities = self._intent(pieces, vectors, wanted, asks).max(axis=0)
            support = float(probabilities.max())
            for label, probability in zip(self.heads.labels, probabilities, strict=True):
                if label in found.unconfirmed and self._floors is not None and probability < MODEL_SUPPORT:
                    results.pop(
                        label, None
                    )  # the abuse model read offence where the meaning-level model reads none
                if label in wanted:
                    hit = _with_intent(
                        label,
                        float(probability),
                        results.get(label),
                        self._thresholds,
                        lone=label in found.lone,
                        unconfirmed=label in found.unconfirmed,
                        support=support,
                        floors=self._floors,
                    )
                    if hit is None:
                        results.pop(label, None)
                    else:
                        results[label] = hit
            self._custom(vectors, custom, wanted, results)
        for model in self._extra:
            for hit in model(text):
                known = results.get(hit.label)
                if hit.label in wanted and (known is None or known.confidence < hit.confidence):
                    # the stronger evidence leads; words the lexicons found stay as keywords
                    results[hit.label] = TextHit(
                        hit.label, hit.sub_label, hit.confidence, known.keywords if known else ()
                    )
        return sorted(results.values(), key=lambda h: -h.confidence)

    def evidence(self, text: str, wanted: Collection[str], whole: np.ndarray | None = None) -> Evidence:
        """The lexicons', ad patterns' and abuse models' hits in ``text`` for the ``wanted`` labels, with the labels
        that rest on one weak cue. ``whole`` is the text's USE vector where the caller has it (one window)."""
        found = Evidence()
        by_label: dict[str, list[LexiconHit]] = {}
        for match in self._lexicon.find(text):
            if match.term.label in wanted:
                by_label.setdefault(match.term.label, []).append(match)
        for label, hits in by_label.items():
            if label == "Ad":
                continue
            found.hits[label] = _lexicon_hit(label, hits)
            if not any(h.term.block for h in hits) and len({h.keyword.lower() for h in hits}) == 1:
                found.lone.add(label)
        if "Ad" in wanted:
            worded = [AdSignal(h.term.sub_label, h.keyword, h.start) for h in by_label.get("Ad", [])]
            signals = merge_signals([*worded, *find_ad_signals(text)], text)
            ad = score_ad(signals)
            if ad is not None:
                found.hits["Ad"] = ad
                if len({s.sub_label for s in signals}) == 1:
                    found.lone.add(
                        "Ad"
                    )  # one kind of signal: a URL, a handle, a phone number or a push alone
        if "Abuse" in wanted:
            lexical = found.hits.get("Abuse")
            abuse, corroborated = self._abuse(text, lexical, whole)
            if abuse is not None:
                found.hits["Abuse"] = abuse
                if corroborated:
                    found.lone.discard("Abuse")
                if lexical is None:
                    found.unconfirmed.add("Abuse")
        return found

    def _intent(self, pieces: list[str], vectors: np.ndarray, wanted: set[str], lone: bool) -> np.ndarray:
        """(pieces, labels) probabilities: the USE heads, or the blend with the tuned model on the pieces the heads
        find suspicious, and on every piece of a text with a lone cue, which needs the blend's word (the others
        score 0: on dev the screen lost few of the blend's hits, see presets)."""
        use = self.heads.use(vectors)
        if self.tuned is None:
            return use
        columns = [i for i, label in enumerate(self.heads.labels) if label in wanted]
        suspicious = use[:, columns].max(axis=1) >= INTENT_SCREEN if columns else np.zeros(len(pieces), bool)
        if lone:
            suspicious[:] = True
        blended = np.zeros_like(use)
        if suspicious.any():
            chosen = [piece for piece, keep in zip(pieces, suspicious, strict=True) if keep]
            blended[suspicious] = self.heads.blended(use[suspicious], self.tuned.encode(chosen))
        return blended

    @staticmethod
    def _custom(
        vectors: np.ndarray, heads: Sequence[CustomHead], wanted: set[str], results: dict[str, TextHit]
    ) -> None:
        for head in heads:
            if head.label not in wanted:
                continue
            probability = float(head(vectors).max())
            if probability < head.threshold:
                continue
            confidence = round(
                _model_confidence(probability, head.threshold, INTENT_FLOOR, INTENT_CEILING), 1
            )
            known = results.get(head.label)
            if known is None or known.confidence < confidence:
                results[head.label] = TextHit(
                    head.label, head.sub_label, confidence, known.keywords if known else ()
                )

    def _abuse(
        self, text: str, lexical: TextHit | None, embedding: np.ndarray | None
    ) -> tuple[TextHit | None, bool]:
        """The Abuse hit from the lexicon's and the abuse models' evidence, and whether the two agreed."""
        if lexical is not None and lexical.confidence >= BLOCK_TERM:
            return lexical, False  # the models cannot add anything to a block-worthy term
        english = _model_confidence(self._english(text), self._english.threshold)
        chinese = 0.0
        if cjk_count(text) >= MIN_CJK_FOR_MODEL:
            chinese = _model_confidence(self._chinese(text, embedding), self._chinese.threshold)
        model = max(english, chinese)
        if lexical is None:
            return (TextHit("Abuse", "Offensive", round(model, 1), ()) if model else None), False
        if model:
            hit = TextHit("Abuse", lexical.sub_label, max(AGREEMENT, lexical.confidence), lexical.keywords)
            return hit, True
        return lexical, False


_instance: TextModerator | None = None
_instance_lock = threading.Lock()


def get_text_moderator(models_dir: Path | None = None) -> TextModerator:
    """The process-wide ``TextModerator``, built on first use (``models_dir`` as for ``TextModerator``)."""
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                _instance = TextModerator(models_dir=models_dir)
    return _instance
