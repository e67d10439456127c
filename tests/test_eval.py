"""The evaluation: manifest reading, the scorer on hand-made answers, COLD scoring, the small corpus end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.paths import shared_data
from vodguard.evaluation.manifest import Entry, ManifestError, Span, read_manifest, write_manifest
from vodguard.evaluation.scoring import Prediction, range_iou, score


def manifest(tmp_path: Path, lines: list[dict]) -> list[Entry]:
    path = tmp_path / "manifest.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return read_manifest(path)


AD = {"form": "OCR", "label": "Ad", "start": 4.0, "end": 8.0}
ABUSE = {"form": "ASR", "label": "Abuse", "start": 10.0, "end": 12.0}
LINES = [
    {"path": "a.mp4", "suggestion": "block", "segments": [AD, ABUSE]},
    {"path": "clean.mp4", "suggestion": "pass", "segments": []},
    {"path": "pic.jpg", "suggestion": "review", "segments": [{"form": "OCR", "label": "Porn"}]},
]


def spans(*items: dict) -> tuple[Span, ...]:
    return tuple(Span(i["form"], i["label"], i.get("start", 0.0), i.get("end", 0.0), "block") for i in items)


def test_manifest_paths_are_relative_to_the_manifest_and_round_trip(tmp_path):
    entries = manifest(tmp_path, LINES)
    assert [e.path for e in entries] == [tmp_path / "a.mp4", tmp_path / "clean.mp4", tmp_path / "pic.jpg"]
    assert entries[0].segments[0] == Span("OCR", "Ad", 4.0, 8.0)
    assert entries[2].segments[0] == Span("OCR", "Porn", 0.0, 0.0)
    copy = tmp_path / "sub" / "copy.jsonl"
    copy.parent.mkdir()
    write_manifest(copy, entries)
    assert json.loads(copy.read_text().splitlines()[0])["path"] == "../a.mp4"
    assert read_manifest(copy) == entries


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"path": "a.mp4", "suggestion": "maybe"}, ".suggestion"),
        ({"suggestion": "pass"}, ".path"),
        ({"path": "a.mp4", "suggestion": "block", "segments": [{"form": "Smell", "label": "Ad"}]}, ".form"),
        ({"path": "a.mp4", "suggestion": "block", "segments": [{"form": "OCR", "label": "Spam"}]}, ".label"),
        ({"path": "a.mp4", "suggestion": "block", "segments": [{**AD, "end": 1.0}]}, "before start"),
        ({"path": "a.mp4", "suggestion": "block", "segments": [{**AD, "start": "4"}]}, ".start"),
        ({"path": "a.mp4", "suggestion": "pass", "segments": [AD]}, "cannot have expected segments"),
    ],
)
def test_manifest_errors_name_the_line_and_field(tmp_path, line, field):
    with pytest.raises(ManifestError) as err:
        manifest(tmp_path, [LINES[1], line])
    assert "manifest.jsonl:2" in str(err.value) and field in str(err.value)


def test_manifest_that_is_not_json_or_empty_is_refused(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"path": "a.mp4", "suggestion": "pass"}\n{oops\n')
    with pytest.raises(ManifestError, match="m.jsonl:2: not JSON"):
        read_manifest(path)
    path.write_text("\n\n")
    with pytest.raises(ManifestError, match="lists no file"):
        read_manifest(path)


def test_perfect_prediction_scores_one(tmp_path):
    entries = manifest(tmp_path, LINES)
    preds = [
        Prediction("block", spans(AD, ABUSE), duration=20.0, seconds=2.0),
        Prediction("pass", (), duration=10.0, seconds=1.0),
        Prediction("review", spans({"form": "OCR", "label": "Porn"}), seconds=0.25, image=True),
    ]
    s = score(zip(entries, preds, strict=True))
    for key in (("OCR", "Ad"), ("ASR", "Abuse"), ("OCR", "Porn")):
        c = s.classes[key]
        assert (c.precision, c.recall, c.f1) == (1.0, 1.0, 1.0)
    assert s.classes[("OCR", "Ad")].mean_iou == 1.0
    assert s.classes[("OCR", "Porn")].mean_iou is None  # pictures have no time range
    assert (s.total.precision, s.total.recall, s.total.f1) == (1.0, 1.0, 1.0)
    assert s.suggestion_accuracy == 1.0 and s.confusion["block"]["block"] == 1
    assert (s.clean_files, s.clean_flagged, s.clean_false_positive_rate) == (1, 0, 0.0)
    assert s.x_realtime == pytest.approx(30.0 / 3.0) and s.image_mean_seconds == 0.25


def test_missing_segment_lowers_recall_not_precision(tmp_path):
    entries = manifest(tmp_path, LINES[:1])
    s = score([(entries[0], Prediction("block", spans(AD), duration=20.0, seconds=1.0))])
    assert s.classes[("ASR", "Abuse")].recall == 0.0 and s.classes[("ASR", "Abuse")].precision is None
    assert s.total.recall == 0.5 and s.total.precision == 1.0
    assert s.total.f1 == pytest.approx(2 * 0.5 / 1.5)


def test_wrong_label_is_a_miss_and_a_false_positive(tmp_path):
    entries = manifest(tmp_path, LINES[:1])
    wrong = spans({**AD, "label": "Porn"}, ABUSE)
    s = score([(entries[0], Prediction("block", wrong, duration=20.0))])
    assert s.classes[("OCR", "Ad")].recall == 0.0  # the miss
    assert s.classes[("OCR", "Porn")].precision == 0.0  # the false positive
    assert s.classes[("OCR", "Porn")].expected == 0 and s.classes[("OCR", "Porn")].recall is None
    assert (s.total.expected, s.total.predicted, s.total.found, s.total.correct) == (2, 2, 1, 1)


def test_wrong_form_and_disjoint_time_do_not_count(tmp_path):
    entries = manifest(tmp_path, LINES[:1])
    other = spans({**AD, "form": "ASR"}, {**ABUSE, "start": 13.0, "end": 15.0})
    s = score([(entries[0], Prediction("block", other, duration=20.0))])
    assert s.total.found == 0 and s.total.correct == 0 and s.total.f1 == 0.0


def test_iou_of_hits():
    assert range_iou((4.0, 8.0), [(6.0, 10.0)]) == pytest.approx(2.0 / 6.0)
    assert range_iou((4.0, 8.0), [(4.0, 8.0)]) == 1.0
    assert range_iou((4.0, 8.0), [(5.0, 6.0)]) == pytest.approx(0.25)
    # one caption reported as two pieces: the union is what counts, and overlapping pieces are not counted twice
    assert range_iou((4.0, 8.0), [(4.0, 6.0), (5.0, 7.0), (7.5, 9.0)]) == pytest.approx(3.5 / 5.0)
    assert range_iou((3.0, 3.0), [(3.0, 3.0)]) == 1.0


def test_iou_is_averaged_over_found_segments(tmp_path):
    entries = manifest(tmp_path, LINES[:1])
    late = spans({**AD, "start": 6.0, "end": 10.0}, {**ABUSE, "start": 11.0, "end": 12.0})
    s = score([(entries[0], Prediction("block", late, duration=20.0))])
    assert s.classes[("OCR", "Ad")].mean_iou == pytest.approx(2.0 / 6.0)
    assert s.total.mean_iou == pytest.approx((2.0 / 6.0 + 0.5) / 2)


def test_a_flagged_clean_file_is_a_false_positive_and_a_confusion(tmp_path):
    entries = manifest(tmp_path, LINES[1:2])
    s = score([(entries[0], Prediction("review", spans({**AD, "label": "Abuse"}), duration=10.0))])
    assert s.clean_false_positive_rate == 1.0
    assert s.confusion["pass"]["review"] == 1 and s.suggestion_accuracy == 0.0


def test_failed_files_are_counted_apart(tmp_path):
    entries = manifest(tmp_path, LINES[:2])
    preds = [Prediction(error="SourceFileError: truncated"), Prediction("pass", duration=10.0, seconds=2.0)]
    s = score(zip(entries, preds, strict=True))
    assert s.errors == 1 and s.confusion["block"]["error"] == 1
    assert s.total.expected == 0  # a failed file's segments are not scored as misses
    assert s.suggestion_accuracy == 1.0 and s.x_realtime == 5.0


def test_label_filter_drops_other_labels_and_follows_segment_suggestions(tmp_path):
    lines = [
        {
            "path": "a.mp4",
            "suggestion": "block",
            "segments": [{**AD, "suggestion": "review"}, {**ABUSE, "suggestion": "block"}],
        }
    ]
    entries = manifest(tmp_path, lines)
    pred = Prediction("review", (Span("OCR", "Ad", 4.0, 8.0, "review"),), duration=20.0)
    s = score([(entries[0], pred)], labels={"Ad"})
    assert set(s.classes) == {("OCR", "Ad")} and s.total.recall == 1.0
    assert s.confusion["review"]["review"] == 1  # with Abuse left out, the file is a review, not a block
    assert not math.isnan(s.total.f1)


# --- the corpus builder and the command, on real files and real models ------------------------------------


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    from vodguard.evaluation.corpus import make_corpus
    from vodguard.evaluation.synth import CorpusError

    out = tmp_path_factory.mktemp("corpus")
    try:
        make_corpus(out, size="small")
    except CorpusError as exc:  # users without root may lack espeak-ng, sox or the CJK font
        pytest.skip(f"the small corpus cannot be made on this machine: {exc}")
    return out / "manifest.jsonl"


def test_small_corpus_files_match_their_ground_truth(small_corpus):
    import av

    entries = read_manifest(small_corpus)
    assert len(entries) >= 6
    kinds = {(s.form, s.label) for e in entries for s in e.segments}
    assert {("OCR", "Ad"), ("OCR", "Abuse"), ("ASR", "Abuse")} <= kinds
    assert any(e.suggestion == "pass" and e.path.suffix == ".mp4" for e in entries)
    for entry in entries:
        assert entry.path.is_file() and entry.path.stat().st_size > 0
        if "duration" in entry.extra:
            with av.open(str(entry.path)) as container:
                seconds = container.duration / 1e6
            assert seconds == pytest.approx(entry.extra["duration"], abs=0.3)
            assert all(0 <= s.start < s.end <= seconds for s in entry.segments)


def test_eval_command_scores_the_small_corpus(small_corpus, tmp_path, capsys):
    from vodguard.cli import main

    out = tmp_path / "report.json"
    status = main(["eval", str(small_corpus), "--labels", "Ad,Abuse", "--json", str(out)])
    report = json.loads(out.read_text())
    assert status == 0 and report["errors"] == 0 and len(report["per_file"]) == report["files"] >= 6
    classes = {(c["form"], c["label"]): c for c in report["classes"]}
    assert classes[("OCR", "Ad")]["recall"] == 1.0  # the English ad caption, in video and in a picture
    assert report["clean_files"]["flagged"] == 0  # the clean video and the photo pass
    assert report["labels"] == ["Abuse", "Ad"] and report["machine"]["cores"]
    assert "Segments by form × label" in capsys.readouterr().out


def test_eval_command_refuses_a_bad_manifest_and_option(tmp_path, capsys):
    from vodguard.cli import main

    bad = tmp_path / "m.jsonl"
    bad.write_text('{"path": "a.mp4", "suggestion": "never"}\n')
    assert main(["eval", str(bad)]) == 4
    assert "m.jsonl:1.suggestion" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "missing.jsonl")]) == 4
    assert main(["eval", str(bad), "--template", "20"]) == 4
    assert main(["eval", "make-corpus"]) == 4


def test_cold_scoring(tmp_path):
    from vodguard.cli import main

    cold_dev = shared_data("cold/dev.csv")
    out = tmp_path / "cold.json"
    assert main(["eval", "cold", str(cold_dev), "--limit", "200", "--json", str(out)]) == 0
    abuse = json.loads(out.read_text())["readings"]["abuse"]
    assert abuse["tp"] + abuse["fp"] + abuse["tn"] + abuse["fn"] == 200
    # the shipped threshold favours precision; a model that guessed would sit near 0.5 on both
    assert abuse["precision"] > 0.8 and abuse["accuracy"] > 0.7


def test_cold_reader_names_a_wrong_file(tmp_path):
    from vodguard.evaluation.cold import Binary, read_cold

    wrong = tmp_path / "x.csv"
    wrong.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="missing column"):
        read_cold(wrong)
    b = Binary()
    for truth, predicted in [(True, True), (True, False), (False, True), (False, False), (True, True)]:
        b.add(truth, predicted)
    assert (b.accuracy, b.precision, b.recall) == (0.6, 2 / 3, 2 / 3)


def test_bench_history_compares_each_figure_with_the_last_run(tmp_path):
    from benchmarks import history
    from benchmarks.figures import Figure, percentile

    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0 and percentile([1.0, 2.0], 95) == 2.0
    machine = {"cores": 2, "cpu": "Test CPU", "python": "3.11", "commit": "abc1234"}

    def run(date: str, xrt: float, ms: float) -> dict:
        figures = [Figure("engine.video.x_realtime", "Engine ×RT", xrt, "×RT"),
                   Figure("api.review_image.p50", "ReviewImage p50", ms, "ms", better="lower")]  # fmt: skip
        return {
            "date": date,
            "machine": machine,
            "context": "",
            "notes": [],
            "figures": [f.to_json() for f in figures],
        }

    path = tmp_path / "history.jsonl"
    history.append_run(path, run("day 1", 2.0, 300.0))
    history.append_run(path, run("day 2", 4.0, 150.0))
    page = history.render(history.read_history(path))
    # twice as fast and half the latency are both a 2× improvement
    assert "| Engine ×RT | 4.00 | ×RT | 2.00 | 2.00× |" in page
    assert "| ReviewImage p50 | 150 | ms | 300 | 2.00× |" in page
    assert page.index("| day 2 |") < page.index("| day 1 |")  # history, newest first


def test_bench_page_shows_the_known_content_index_in_its_own_section(tmp_path):
    from benchmarks import history
    from benchmarks.figures import Figure

    machine = {"cores": 2, "cpu": "Test CPU", "python": "3.11", "commit": "abc1234"}
    figures = [Figure("engine.video.x_realtime", "Engine ×RT", 6.0, "×RT"),
               Figure("known.index.lookup.p50", "Known lookup p50", 1.25, "ms", better="lower")]  # fmt: skip
    runs = [
        {"date": "day 1", "machine": machine, "context": "", "notes": ["Known content index: 1M hashes"],
         "figures": [f.to_json() for f in figures]},
        {"date": "day 2", "machine": machine, "context": "", "notes": [], "figures": [figures[0].to_json()]},
    ]  # fmt: skip
    page = history.render(runs)
    section = page[page.index("## Known content index") : page.index("## History")]
    # the latest run did not measure it, so the section keeps the last figures recorded, with their note
    assert "Recorded with the run of day 1." in section and "| Known lookup p50 | 1.25 | ms |" in section
    assert "Known content index: 1M hashes" in section
    assert page.count("Known lookup p50") == 1


def test_bench_lead_is_taken_against_the_engine_runs_on_both_sides_of_the_baseline():
    from benchmarks.engine_bench import leads
    from benchmarks.figures import Figure

    figures = [Figure("engine.video.wall", "", 50.0, "s"), Figure("baseline.video.wall", "", 500.0, "s")]
    # the second engine run failed: the lead is the run before the baseline's alone
    assert [(f.key, f.value) for f in leads(figures)] == [
        ("engine.vs_baseline", 10.0),
        ("engine.vs_baseline.before", 10.0),
    ]
    # the host slowed while the baseline ran: the mean of the two engine runs stands for the baseline's conditions
    found = {f.key: f for f in leads([*figures, Figure("engine.video.wall_after", "", 75.0, "s")])}
    assert (
        found["engine.vs_baseline"].value == 8.0 and "before and after" in found["engine.vs_baseline"].title
    )
    assert found["engine.vs_baseline.before"].value == 10.0
