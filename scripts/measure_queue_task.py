"""Where one queue task's CPU goes: the worker's handler on the benchmark's 10-s clips (docs/benchmarks.md).

usage: python scripts/measure_queue_task.py [--tasks 6]

The queue benchmark's setting (``benchmarks/api_bench.py``): the test server with the SQLite queue, three 10-s
480×270 clips, a template of Porn, Ad and Abuse, result reuse off, the models loaded by one warm-up task. Then:

* the handler: ``reviews.process`` on ``--tasks`` queued tasks, one after the other in this thread, as one worker
  thread runs them; CPU seconds of the process per task (every thread: the engine's lanes and decoder too) and
  of this thread alone (the claim, the job, the bank lookup, feeding the lanes, the evidence, the result write
  and the event: everything the worker does around the models);
* the engine alone: ``Engine.moderate_media`` on the same clip and template, CPU seconds per call;
* the engine's threads: the wall seconds its stages were busy (running, or ready and waiting for a core),
  added up, over the call's wall seconds: how many threads of one task have work at once. Read it with the
  CPU a task and the tasks per minute: on 2 cores, a task whose threads keep both cores busy leaves a second
  worker thread nothing to use;
* worker threads: ``--tasks`` tasks drained by 1, 2 and 4 worker threads of ``Background`` (as in the
  benchmark, but waiting on the task rows rather than on the SDK, whose polling costs CPU of its own): CPU
  seconds of the process per task. The same CPU a task at every thread count means the threads share the
  cores, and tasks per minute can only follow the CPU the process gets.

CPU time, not wall time, because the development machine is shared.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.api_bench import RATE_LIMIT_OFF, _upload  # noqa: E402
from tests.conftest import vod_client  # noqa: E402
from tests.media import make_video  # noqa: E402
from tests.server import start_server  # noqa: E402
from vodguard.background import Background  # noqa: E402
from vodguard.services import reviews  # noqa: E402
from vodguard.services.leases import ReviewJob  # noqa: E402
from vodguard.store.models import Media, Task  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=6)
    args = parser.parse_args()
    from tencentcloud.vod.v20180717 import models

    with tempfile.TemporaryDirectory(prefix="vodguard-queue-task-") as tmp:
        server = start_server(
            Path(tmp) / "data", background=False, workers=0, request_rate_per_app=RATE_LIMIT_OFF,
            review_rate_per_app=RATE_LIMIT_OFF, reuse_results=False,
        )  # fmt: skip
        try:
            keys = server.new_key()
            vod = vod_client(server, keys.secret_id, keys.secret_key)
            clips = [make_video(Path(tmp) / f"clip{i}.mp4", seconds=10.0, size=(480, 270)) for i in range(3)]
            file_ids = [_upload(server, keys, clip) for clip in clips]
            tpl = models.CreateReviewTemplateRequest()
            tpl.Labels = ["Porn", "Ad", "Abuse"]
            definition = vod.CreateReviewTemplate(tpl).Definition

            def queue(count: int) -> list[str]:
                ids = []
                for i in range(count):
                    req = models.ReviewAudioVideoRequest()
                    req.FileId, req.Definition = file_ids[i % len(file_ids)], definition
                    ids.append(vod.ReviewAudioVideo(req).TaskId)
                return ids

            services = server.services
            started = time.process_time()
            reviews.process(services, queue(1)[0])
            print(f"warm-up task (models load): {time.process_time() - started:.2f} s CPU")

            tasks = queue(args.tasks)
            started, own, clock = time.process_time(), time.thread_time(), time.perf_counter()
            for task_id in tasks:
                reviews.process(services, task_id)
            cpu, own = time.process_time() - started, time.thread_time() - own
            wall = time.perf_counter() - clock
            print(
                f"handler: {cpu / len(tasks):.3f} s CPU a task (every thread), of which the worker's own thread "
                f"{own / len(tasks) * 1000:.1f} ms; {wall / len(tasks):.2f} s wall a task"
            )

            with services.db.transaction() as s:
                task = s.get(Task, tasks[0])
                assert task is not None
                job = ReviewJob.of(task, s.get(Media, task.file_id), s)
            assert job.template is not None
            engine, path = services.engine(), services.blobs.local_path(job.media_key)
            started, clock = time.process_time(), time.perf_counter()
            busy = 0.0
            for _ in range(len(tasks)):
                result = engine.moderate_media(path, job.template)
                busy += sum(t.seconds for t in result.timings if t.name not in ("load_models", "text"))
            cpu, wall = time.process_time() - started, time.perf_counter() - clock
            print(f"engine alone: {cpu / len(tasks):.3f} s CPU a call; suggestion {result.suggestion}")
            print(
                f"engine threads: stages busy {busy / wall:.2f} s per s of wall (threads with work, on average)"
            )
            print("stages of the last call (wall seconds, items):")
            for t in result.timings:
                print(f"  {t.name}: {t.seconds:.3f} s, {t.items}")

            for workers in (1, 2, 4):
                ids = set(queue(args.tasks))
                pool = Background(services, workers=workers, api=False)
                started, clock = time.process_time(), time.perf_counter()
                pool.start()
                try:
                    while True:
                        with services.db.transaction() as s:
                            done = (
                                s.query(Task).filter(Task.task_id.in_(ids), Task.status == "FINISH").count()
                            )
                        if done == len(ids):
                            break
                        time.sleep(0.1)
                    cpu, wall = time.process_time() - started, time.perf_counter() - clock
                finally:
                    pool.stop()
                print(
                    f"{workers} worker thread(s): {cpu / len(ids):.3f} s CPU a task, {cpu / wall:.2f} CPU-s per s, "
                    f"{len(ids) / wall * 60:.0f} tasks/min (wall, under this machine's load)"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
