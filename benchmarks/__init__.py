"""``make bench``: vodguard's speed, measured the same way on every run and compared with the last one.

``python -m benchmarks.run --help`` lists the parts; results go to ``benchmarks/history.jsonl`` (one run a line)
and ``docs/benchmarks.md`` (rewritten from the history, with each figure's ratio to the previous run).
"""
