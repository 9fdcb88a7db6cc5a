"""Geocoding (geopy) and tour planning (OR-Tools) as plain Python, no Flask import.

Today: the French communes reference data (``routing.communes``) and the tour planner
(``routing.model`` in, ``routing.solver.solve``, ``routing.plan`` out; see docs/planning.md).
The geocoding issue adds the geocoders here.
"""
