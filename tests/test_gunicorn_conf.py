"""gunicorn.conf.py: a worker builds the offline geocoder's index before serving."""

from __future__ import annotations

import runpy
from pathlib import Path

from server.geocoding import service

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_a_worker_indexes_the_gazetteer_before_its_first_request():
    """post_worker_init leaves the address check ready: the next check is a cache hit."""
    hook = runpy.run_path(str(CONF))["post_worker_init"]
    hook(None)
    assert service.offline_geocoder.cache_info().currsize == 1
    before = service._warnings.cache_info().hits
    service.warm_up()
    assert service._warnings.cache_info().hits == before + 1
