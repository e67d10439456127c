"""``make bench``: run every benchmark once, append the run to the history, rewrite docs/benchmarks.md.

usage: python -m benchmarks.run [--seconds 600] [--skip baseline,api,...] [--context TEXT] [--dry-run]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from benchmarks import (
    api_bench,
    baseline,
    engine_bench,
    first_verdict,
    history,
    known_index,
    known_sql,
    loadtest,
)
from benchmarks.figures import ROOT, Figure, load, machine, now
from vodguard.moderation.config import EngineConfig

PARTS = ("engine", "baseline", "first-verdict", "zh", "images", "api", "known", "known-sql")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=int, default=600, help="length of the benchmark video (default 600)"
    )
    parser.add_argument(
        "--bench-dir",
        type=Path,
        default=Path(os.environ.get("VODGUARD_BENCH_DIR", ROOT.parent / "shared" / "bench")),
        help="folder with make_bench_video.sh and naive_baseline.py (env VODGUARD_BENCH_DIR)",
    )
    parser.add_argument(
        "--work", type=Path, default=ROOT / "data" / "bench", help="cache for the video and venv"
    )
    parser.add_argument("--skip", default="", help=f"comma-separated parts to leave out: {', '.join(PARTS)}")
    parser.add_argument("--context", default="", help="conditions worth recording (e.g. other jobs running)")
    parser.add_argument("--history", type=Path, default=ROOT / "benchmarks" / "history.jsonl")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--dry-run", action="store_true", help="print the figures, record nothing")
    parser.add_argument(
        "--amend",
        action="store_true",
        help="add the figures to the last recorded run (to redo a part that failed) instead of a new run",
    )
    args = parser.parse_args(argv)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = args.skip - set(PARTS)
    if unknown:
        parser.error(f"--skip: unknown part(s) {', '.join(sorted(unknown))}; parts are {', '.join(PARTS)}")
    return args


def _part(name: str, notes: list[str], fn: Callable[[], list[Figure]]) -> list[Figure]:
    """Run one part; a part that cannot run is a note saying why, and the others go on."""
    print(f"== {name} (load average {load()})", flush=True)
    start = time.perf_counter()
    try:
        figures = fn()
    except Exception as exc:  # one broken part must not lose the others' figures
        traceback.print_exc()
        notes.append(f"{name}: skipped, {type(exc).__name__}: {exc}")
        return []
    for f in figures:
        print(f"   {f.title}: {f.value:.2f} {f.unit}", flush=True)
    print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    notes: list[str] = []
    figures: list[Figure] = []
    started, load_start = now(), load()
    config = EngineConfig(models_dir=ROOT / "data" / "models")
    video: Path | None = None
    if {"engine", "baseline"} - args.skip:
        try:
            video = baseline.bench_video(args.bench_dir / "make_bench_video.sh", args.work, args.seconds)
        except (RuntimeError, OSError) as exc:
            notes.append(f"video parts skipped: {exc}")
    if video is not None and "engine" not in args.skip:
        figures += _part("engine video", notes, lambda: engine_bench.video(video, config, notes))
    if video is not None and "baseline" not in args.skip:

        def run_baseline() -> list[Figure]:
            python = baseline.baseline_python(args.work)
            return baseline.run_baseline(python, args.bench_dir / "naive_baseline.py", video, notes)

        figures += _part("naive baseline", notes, run_baseline)
    by_key = {f.key: f for f in figures}
    if video is not None and "engine.video.wall" in by_key and "baseline.video.wall" in by_key:
        figures += _part("engine video again", notes, lambda: engine_bench.video_again(video, config))
        figures += engine_bench.leads(figures)
    if "first-verdict" not in args.skip:
        figures += _part(
            "first verdict", notes, lambda: first_verdict.first_verdict(config, args.work, notes)
        )
    if "zh" not in args.skip:
        figures += _part("engine Mandarin speech", notes, lambda: engine_bench.mandarin(config, notes))
    if "images" not in args.skip:
        figures += _part("engine images", notes, lambda: engine_bench.images(config, notes))
    if "api" not in args.skip:
        figures += _part("api", notes, lambda: api_bench.api(engine_bench.pictures(), notes))
    if "known" not in args.skip:
        figures += _part("known content index", notes, lambda: known_index.index(notes))
    if "known-sql" not in args.skip:
        figures += _part("known content in SQL", notes, lambda: known_sql.sql(notes))
    context = args.context or ""
    context += f"{' ' if context else ''}Load average {load_start} at the start, {load()} at the end."
    run = {
        "date": started,
        "machine": machine(),
        "context": context,
        "figures": [f.to_json() for f in figures],
        "notes": notes,
    }
    for note in notes:
        print(f"note: {note}")
    if args.dry_run or not figures:
        print("nothing recorded" + ("" if figures else " (no figure was measured)"))
        return 0 if figures else 1
    if args.amend:
        history.amend_last(args.history, run)
    else:
        history.append_run(args.history, run)
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    page = history.render(history.read_history(args.history))
    args.doc.write_text(page + loadtest.kept_block(args.doc), encoding="utf-8")
    print(f"recorded in {args.history} and {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
