"""gunicorn.conf.py: a worker builds the offline geocoder's index before serving, then freezes."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

from server.geocoding import service

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_a_worker_indexes_the_gazetteer_before_its_first_request():
    """post_worker_init leaves the address check ready: the next check is a cache hit."""
    hook = runpy.run_path(str(CONF))["post_worker_init"]
    threshold = gc.get_threshold()
    try:
        hook(None)
    finally:
        gc.unfreeze()  # the test process is not a worker
        gc.set_threshold(*threshold)
    assert service.offline_geocoder.cache_info().currsize == 1
    before = service._warnings.cache_info().hits
    service.warm_up()
    assert service._warnings.cache_info().hits == before + 1


def test_a_worker_keeps_what_lives_as_long_as_it_out_of_the_collectors_sight():
    """post_worker_init freezes what is alive once warmed up (the index included), and
    collects the young generation less often."""
    conf = runpy.run_path(str(CONF))
    threshold = gc.get_threshold()
    gc.unfreeze()
    try:
        conf["post_worker_init"](None)
        frozen, young = gc.get_freeze_count(), gc.get_threshold()
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    assert frozen > 10_000
    assert young == (conf["YOUNG_OBJECTS"], *threshold[1:])
    assert young[0] > threshold[0]


def test_a_worker_compiles_the_stored_document_triggers_before_its_first_pull(app):
    """post_worker_init makes the SQL the first pull compares with the database's triggers."""
    from types import SimpleNamespace

    from server.extensions import db
    from server.sync import docs

    hook = runpy.run_path(str(CONF))["post_worker_init"]
    with app.app_context():
        dialect = db.engine.dialect.name
    docs.statements.cache_clear()
    threshold = gc.get_threshold()
    try:
        hook(SimpleNamespace(wsgi=app))
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    assert docs.statements.cache_info().currsize == 1
    with app.app_context():
        assert set(docs.statements(dialect)) >= {"accounts", "interactions", "notes"}
    assert docs.statements.cache_info().hits >= 1
