"""Geocoding (geopy) and tour planning (OR-Tools) as plain Python, no Flask import.

Today: the French communes reference data (``routing.communes``). The geocoding
and tour-planning issues add the geocoders and the planner here.
"""
