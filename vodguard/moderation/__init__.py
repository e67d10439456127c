"""The moderation engine: decode media, run detectors, apply a template's policy.

This package is a library. It has no HTTP, SQL or queue in it and imports nothing from the rest of vodguard, so
the CLI, the workers and other programs can all use it.
"""
