"""The domain: apps and keys, media, uploads, templates, events, tasks and their reviews. No HTTP server here.

Most functions run in the caller's session and leave the transaction to it; the ones that work in steps (a review,
an upload's commit, PUSH delivery, PullEvents) open their own. Helpers take only what they use (``db``, ``blobs``,
``urls``, ``queue``, ``wakeups``, settings); the entry points of a request or a background job take the whole
``Services`` bag (``container.py``). The rows a service hands out are the store's models: ``api/`` names them
through that service (``services.media.Media``), never through ``store/``.
"""
