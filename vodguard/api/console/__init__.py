"""The web console under ``/console``: server-rendered pages for moderators (queue, evidence, library, tasks,
settings, dashboard, known content).

Routes validate the form, call service functions and render a template; they hold no SQL (queries the console
needs live in ``services/console_queries.py``). Every page needs a session of one app, and every query is that
app's: one app's moderators never see another's media. Settings, people and the audit log are for admins only.
"""

from __future__ import annotations

from fastapi import APIRouter

from vodguard.api.console import (
    routes_audit,
    routes_auth,
    routes_dashboard,
    routes_known,
    routes_library,
    routes_review,
    routes_settings,
    routes_tasks,
    routes_users,
)

router = APIRouter()
for _module in (
    routes_auth,
    routes_review,
    routes_library,
    routes_tasks,
    routes_settings,
    routes_dashboard,
    routes_known,
    routes_users,
    routes_audit,
):
    router.include_router(_module.router)

__all__ = ["router"]
