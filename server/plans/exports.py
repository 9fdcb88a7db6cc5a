"""A planned day for the road: navigation links, an ICS calendar, a printable day sheet.

- Google Maps directions (URLs API, ``/maps/dir/?api=1``) in legs of at most 10 places
  (origin, up to 8 waypoints, destination): longer lists are not accepted on phones. Each
  leg starts where the previous one ended, so following them in turn is the whole day.
- Waze: one ``https://waze.com/ul?ll=lat,lon&navigate=yes`` link per stop (Waze navigates
  to a single destination).
- ICS (RFC 5545): one event per stop, times in UTC, a stable UID per stop.
- The day sheet: plain HTML with a print style sheet, no PDF library; texts are escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlencode

from ..accounts.models import Account
from .models import PlanDay, PlanStop

#: Places per Google Maps link: origin + waypoints + destination.
MAPS_MAX_PLACES = 10


def _point(lat: float, lon: float) -> str:
    return f"{lat:.6f},{lon:.6f}"


def day_places(day: PlanDay) -> list[str]:
    """The day's places in order: start, every stop, end."""
    return [
        _point(day.start_lat, day.start_lon),
        *(_point(s.lat, s.lon) for s in day.stops),
        _point(day.end_lat, day.end_lon),
    ]


def google_maps_links(day: PlanDay) -> list[str]:
    """Driving directions for the day, in chained legs of at most 10 places each."""
    places = day_places(day)
    links = []
    first = 0
    while first < len(places) - 1:
        leg = places[first : first + MAPS_MAX_PLACES]
        query = {"api": "1", "origin": leg[0], "destination": leg[-1], "travelmode": "driving"}
        if len(leg) > 2:
            query["waypoints"] = "|".join(leg[1:-1])
        links.append("https://www.google.com/maps/dir/?" + urlencode(query, safe=",|"))
        first += len(leg) - 1
    return links


def waze_link(stop: PlanStop) -> str:
    """Navigate to ``stop`` with Waze."""
    return "https://waze.com/ul?" + urlencode(
        {"ll": _point(stop.lat, stop.lon), "navigate": "yes"}, safe=","
    )


def _ics_text(value: str) -> str:
    """RFC 5545 TEXT escaping."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _ics_time(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines over 75 octets continue on the next line after a space (RFC 5545, 3.1)."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " "
        current += char
    out.append(current)
    return "\r\n".join(out)


def address(account: Account) -> str:
    """One-line postal address."""
    parts = [account.address_line1, account.address_line2, account.postal_code, account.city]
    return " ".join(p for p in parts if p)


def ics(day: PlanDay, accounts: dict, *, now: datetime) -> str:
    """The day as an iCalendar document, one VEVENT per stop."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Tournee//Planning//FR",
        "CALSCALE:GREGORIAN",
    ]
    for stop in day.stops:
        account = accounts.get(stop.account_id)
        name = account.name if account else "Client"
        kind = "Rendez-vous" if stop.kind == "appointment" else "Visite"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{stop.id}@tournee",
            f"DTSTAMP:{_ics_time(now)}",
            f"DTSTART:{_ics_time(stop.start)}",
            f"DTEND:{_ics_time(stop.departure)}",
            f"SUMMARY:{_ics_text(f'{kind} : {name}')}",
            f"GEO:{stop.lat:.6f};{stop.lon:.6f}",
        ]
        if account is not None and address(account):
            lines.append(f"LOCATION:{_ics_text(address(account))}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def _clock(moment: datetime | None, zone: object) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%H:%M")  # type: ignore[arg-type]


def day_sheet(
    day: PlanDay, accounts: dict, *, rep_name: str, zone: object, maps: Sequence[str]
) -> str:
    """A printable HTML page of the day: order, times, customers, drives, totals."""
    e = html.escape
    rows = []
    for stop in day.stops:
        account = accounts.get(stop.account_id)
        rows.append(
            "<tr>"
            f"<td>{stop.position}</td>"
            f"<td>{_clock(stop.start, zone)}–{_clock(stop.departure, zone)}</td>"
            f"<td>{e(account.name if account else '')}"
            f"<br><small>{e(address(account) if account else '')}</small></td>"
            f"<td>{'Rendez-vous' if stop.kind == 'appointment' else 'Visite'}</td>"
            f"<td>{stop.travel_seconds // 60} min · {stop.travel_metres / 1000:.1f} km</td>"
            f"<td>{stop.waiting_seconds // 60} min</td>"
            f'<td><a href="{e(waze_link(stop))}">Waze</a></td>'
            "</tr>"
        )
    lunch = (
        f"<p>Déjeuner : {_clock(day.lunch_start, zone)}–{_clock(day.lunch_end, zone)}</p>"
        if day.lunch_start
        else ""
    )
    links = " ".join(
        f'<a href="{e(url)}">Itinéraire {k}</a>' for k, url in enumerate(maps, start=1)
    )
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<title>Tournée du {day.day.isoformat()} – {e(rep_name)}</title>
<style>
body {{ font: 11pt system-ui, sans-serif; margin: 1.5cm; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #bbb; padding: 4px 6px; text-align: left; vertical-align: top; }}
@media print {{ a {{ color: inherit; text-decoration: none; }} .links {{ display: none; }} }}
</style></head><body>
<h1>Tournée du {day.day.strftime("%d/%m/%Y")}</h1>
<p>{e(rep_name)} · départ {_clock(day.departure, zone)} · retour {_clock(day.arrival, zone)}
 · {len(day.stops)} arrêts · {day.driving_metres / 1000:.0f} km,
 {day.driving_seconds // 3600} h {day.driving_seconds % 3600 // 60:02d} de route</p>
{lunch}
<table><thead><tr><th>#</th><th>Horaire</th><th>Client</th><th>Type</th><th>Trajet</th>
<th>Attente</th><th></th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<p class="links">{links}</p>
</body></html>
"""
