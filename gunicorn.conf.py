"""gunicorn settings, read from the working directory (``gunicorn 'server:create_app()'``).

Command-line options still win; this file only adds what a command line cannot say.
"""

from __future__ import annotations

import gc
from typing import Any

#: Allocations (less deallocations) that start a collection of the young generation.
YOUNG_OBJECTS = 10_000


def post_worker_init(worker: Any) -> None:
    """Build the offline gazetteer (and the stored-document triggers' SQL) before the worker
    serves its first request, then freeze.

    Every account the API returns carries its address check (``warnings``), which needs the
    La Poste base indexed in memory: about a second of work, otherwise paid by whichever
    request comes first to each worker (a first sync, a push of new prospects).

    What is alive then (the app, its modules and that index: some 200,000 objects) lives as
    long as the worker. ``gc.freeze`` moves it out of the collector's sight: each full
    collection, which a request that allocates a lot (a push of 500 mutations) sets off,
    otherwise walked all of it again, about 0.1 s each time. A young generation of
    ``YOUNG_OBJECTS`` instead of 700: the objects a push keeps for its whole batch (rows,
    changes, outcomes) were otherwise walked by some 35 young and 3 middle collections a
    batch (about 15 ms of a 500-mutation push; half that now).
    """
    from server.geocoding.service import warm_up

    warm_up()
    app = getattr(worker, "wsgi", None)  # the Flask app (gunicorn loads it before this hook)
    if app is not None:
        from server.extensions import db
        from server.sync import docs

        with app.app_context():
            # The stored-document triggers as the code makes them, which the first pull
            # compares with the database's (docs.current): ~0.1 s of SQL compiling.
            docs.statements(db.engine.dialect.name)
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
