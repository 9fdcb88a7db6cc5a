"""gunicorn settings, read from the working directory (``gunicorn 'server:create_app()'``).

Command-line options still win; this file only adds what a command line cannot say.
"""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Build the offline gazetteer before the worker serves its first request.

    Every account the API returns carries its address check (``warnings``), which needs the
    La Poste base indexed in memory: about a second of work, otherwise paid by whichever
    request comes first to each worker (a first sync, a push of new prospects).
    """
    from server.geocoding.service import warm_up

    warm_up()
