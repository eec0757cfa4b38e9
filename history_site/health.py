"""/healthz: whether this installation can serve pages, for a load balancer or a monitoring probe."""

from collections.abc import Callable

from django.db import DatabaseError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.http import require_safe


def database_problem(database: BaseDatabaseWrapper | None = None) -> str | None:
    """Why the database (the site's own by default) cannot serve the site, or None: it does not answer, or
    migrations are not applied."""
    database = database or connection
    try:
        with database.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(database)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return "the database does not answer"
    if unapplied:
        return f"{len(unapplied)} migrations are not applied"
    return None


@never_cache
@xframe_options_deny  # XFrameOptionsMiddleware comes after HealthCheckMiddleware
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 "ok" when the database answers and every migration is applied; 503 and the reason otherwise."""
    problem = database_problem()
    if problem:
        return HttpResponse(f"unavailable: {problem}\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


class HealthCheckMiddleware:
    """Answer /healthz before anything reads the Host header: a load balancer asks by the server's
    address, which need not be in ALLOWED_HOSTS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)
