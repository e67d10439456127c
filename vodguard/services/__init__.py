"""The domain: apps and keys, media, uploads, templates, events, tasks. No HTTP here; callers own transactions."""
