"""Preset review templates and the default strictness of each label.

Template 10 is the cloud's preset (spec §3.7): Porn, Terror, Polity and Moan for audio/video, the same without
Moan for images. ``ALL_LABELS`` is what ``vodguard review --labels all`` uses.

Default thresholds are review at 50 and block at 90 on the detectors' 0..100 confidence, except where the
evidence behind a label is weaker than its name suggests:

* Terror asks a human from 60 and blocks at 90. Its picture evidence (ImageNet weapon classes, which score a
  hunting rifle like one in propaganda) is capped below the block threshold by its detector, so pictures
  alone only ask for review; an explicit threat in speech or on screen blocks.
* Polity is keyword matching on OCR/ASR text; news and commentary use the same names as propaganda, so it
  blocks only at 95 and anything less is for a human to read.
* Moan is spotted in transcribed words and, in sound, by YAMNet's moan-like classes, whose recall on real media
  nobody here could measure; so it blocks only at 95.

Whatever its confidence, the Voice form may ask for review but never blocks on its own: ``FORM_CEILINGS`` caps
it. YAMNet found 9 of 13 recorded shots and explosions in our clips, but it also hears thunder and some
fireworks as explosions (docs/quality.md), and a gunfight in a film is not a violation by itself. In the same
way the picture rule table (``policy.RULES``) says which picture models may block alone, and which only ask.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from vodguard.moderation.types import LABELS, Template, Thresholds

PRESET_DEFINITION = 10
MEDIA_PRESET_LABELS = frozenset({"Porn", "Terror", "Polity", "Moan"})
IMAGE_PRESET_LABELS = frozenset({"Porn", "Terror", "Polity"})
IMAGE_LABELS = frozenset(LABELS) - {"Moan"}  # spec §3.5: there is no Moan for images

_STANDARD = Thresholds(review=50.0, block=90.0)
DEFAULT_THRESHOLDS: Mapping[str, Thresholds] = MappingProxyType(
    {
        "Porn": _STANDARD,
        "Terror": Thresholds(review=60.0, block=90.0),
        "Polity": Thresholds(review=50.0, block=95.0),
        "Ad": _STANDARD,
        "Illegal": _STANDARD,
        "Abuse": _STANDARD,
        "Moan": Thresholds(review=50.0, block=95.0),
    }
)


@dataclass(frozen=True)
class IntentThresholds:
    """Probabilities of the meaning-level models (text/intent.py): from ``review`` a hit asks for a look; from
    ``block`` (None: never) a hit blocks on the models' word alone."""

    review: float
    block: float | None = None


# Chosen on the dev split of datasets/text by scripts/train_text_intent.py, for the blend of the tuned model (the E5
# towers mixed with character n-grams, text/ngrams.py) and the USE heads (text/intent.py), then checked once on the
# test split
# (figures and split rules: docs/quality.md, "Meaning-level text"). Review: the lowest probability at which the
# label flags at most its budget of dev's near-misses (clean sentences that share its topic words) and of its
# ordinary clean sentences. First every label with at least 100 dev sentences got the smallest budget at which the
# whole moderator keeps the dev recall the build before this one had on the same dev file (--keep-recall), because
# a retrain may not buy fewer false alarms by finding fewer threats: Terror 0.7 % of near-misses and 0.5 % of
# ordinary text, Polity 0.3 % and none, Ad 0.5 % and 0.75 %, Illegal 0.5 % and 0.3 %, Abuse 0.3 % and 0.15 %.
# That already spent the targets (5 % of near-misses, 1 % of ordinary text, on the 90th percentile of dev's
# families redrawn, lexicons and floors included), so Porn and Moan kept the smallest budget (0.2 %, no ordinary
# sentence).
# Ordinary text gets the tighter budget because a video holds far more of it, and one false hit sends the whole
# video to a person. Block: only where a head was precise on both splits (dev precision >= 0.98 with no clean
# sentence above the threshold, and test precision >= 0.97 over at least 10 hits). Elsewhere a head alone asks for
# review, and a block needs a lexicon term.
INTENT_THRESHOLDS: Mapping[str, IntentThresholds] = MappingProxyType(
    {  # the blend of the tuned model and the USE heads (0.8 : 0.2, chosen on dev by mean average precision)
        "Porn": IntentThresholds(review=0.407, block=0.918),
        "Terror": IntentThresholds(review=0.704, block=0.987),
        # Polity only ever asks for review, even where its blend earns a block on the numbers (session 15's: 25 of 25
        # on test): news and commentary share its words, and a wrong political block is the costliest mistake a
        # platform makes
        "Polity": IntentThresholds(review=0.46),
        "Ad": IntentThresholds(review=0.667, block=0.948),
        "Illegal": IntentThresholds(review=0.85, block=0.981),
        "Abuse": IntentThresholds(review=0.922, block=0.983),
        "Moan": IntentThresholds(review=0.739),
    }
)
INTENT_THRESHOLDS_USE_ONLY: Mapping[str, IntentThresholds] = MappingProxyType(
    {  # the same rule for the USE heads, which stand alone where the tuned model cannot run (text/intent_model.py)
        "Porn": IntentThresholds(review=0.943),
        "Terror": IntentThresholds(review=0.982, block=0.997),
        "Polity": IntentThresholds(review=0.942),
        "Ad": IntentThresholds(review=0.971),
        "Illegal": IntentThresholds(review=0.979),
        "Abuse": IntentThresholds(review=0.979),
        "Moan": IntentThresholds(review=0.992),
    }
)
# One weak cue alone (a single review-level lexicon term, one kind of ad signal) asks for review only where the
# blend's highest probability of any label (the text reads as a violation of some kind) is at least its label's
# floor (text/__init__.py). Chosen on dev by scripts/train_text_intent.py: 0, the cue stands, where lone cues of the
# label were right at least 90 % of the time against dev's clean sentences (Moan) or fewer than five were right;
# elsewhere the 5th percentile of that probability over the lone cues that were right, so 95 % of them stay. Ad
# needs support since datasets/text/contacts_i.jsonl put web addresses, numbers and handles in ordinary text on dev
# (a lone Ad cue there was right 190 times and on a clean sentence 42 times).
LEXICON_SUPPORT: Mapping[str, float] = MappingProxyType(
    {
        "Porn": 0.917,
        "Terror": 0.511,
        "Polity": 0.0,
        "Ad": 0.702,
        "Illegal": 0.261,
        "Abuse": 0.537,
        "Moan": 0.0,
    }
)
# An abuse model's hit alone (sub-label Offensive, no lexicon term) stands only where the blend reads the text's
# Abuse probability at least this high. The Chinese model (trained on COLD's comments on race, region and gender)
# was the largest single source of flagged near-misses on dev (46 of 117 sentences: jokes, idioms, a weather
# complaint), and the blend read almost all of them below 0.2. Chosen on two dev splits, never test: the highest
# floor tried (0.05, 0.1, 0.2, 0.3, 0.5) that kept COLD's dev accuracy (0.917, unchanged; 0.3 cost 0.3 points) and
# every Abuse hit on our dev split; dev near-misses flagged 5.4 % -> 4.1 % (docs/quality.md 2e).
MODEL_SUPPORT = 0.2
# The tuned towers cost about 30x USE, so they read only texts where some USE head reaches this probability (and
# every text with a lone cue or an abuse model's hit alone, which need their word): on dev that is 31 % of ordinary
# clean text and half of the near-misses, and it loses 20 of the blend's 2,000 dev hits (0.4 would lose 8 and read
# 40 % more text).
INTENT_SCREEN = 0.5

# The strongest suggestion a form may give alone, whatever the confidence.
FORM_CEILINGS: Mapping[str, str] = MappingProxyType({"Voice": "review"})


def labels_template(labels: Iterable[str], *, definition: int = 0, early_exit: bool = False) -> Template:
    """A template of exactly ``labels`` with default thresholds; unknown labels raise ``ValueError``."""
    chosen = frozenset(labels)
    unknown = sorted(chosen - set(LABELS))
    if unknown:
        raise ValueError(f"unknown label(s) {', '.join(unknown)}; known labels are {', '.join(LABELS)}")
    if not chosen:
        raise ValueError("a template needs at least one label")
    return Template(
        definition=definition,
        labels=chosen,
        thresholds={label: DEFAULT_THRESHOLDS[label] for label in chosen},
        early_exit=early_exit,
    )


def preset_template(*, image: bool = False) -> Template:
    """Template 10 as the cloud defines it for audio/video, or for images when ``image`` is true."""
    labels = IMAGE_PRESET_LABELS if image else MEDIA_PRESET_LABELS
    return labels_template(labels, definition=PRESET_DEFINITION)


def parse_labels(text: str) -> frozenset[str]:
    """Labels from a comma-separated list such as ``Porn,Ad``, or every label for ``all`` (any case)."""
    if text.strip().lower() == "all":
        return frozenset(LABELS)
    by_lower = {label.lower(): label for label in LABELS}
    out: set[str] = set()
    for raw in text.split(","):
        name = raw.strip()
        if not name:
            continue
        if name.lower() not in by_lower:
            raise ValueError(f"unknown label {name!r}; known labels are {', '.join(LABELS)} or 'all'")
        out.add(by_lower[name.lower()])
    if not out:
        raise ValueError("no label given; use e.g. Porn,Ad or all")
    return frozenset(out)


ALL_LABELS: Template = labels_template(LABELS)
