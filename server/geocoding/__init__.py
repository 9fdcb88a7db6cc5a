"""Account positions: the geocode cache, the address check, the position endpoints and CLI.

The geocoders are plain Python in ``routing.geocoding``; this package ties them to
accounts (``service.py``), the database (``models.py``: the answer cache), the API
(``api.py``) and ``flask geocode`` (``commands.py``).
"""
