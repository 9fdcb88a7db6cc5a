"""The app's own modules, exercised in the browser where they run: the DOM helper's
refusals and the Google Maps legs of a round."""

from __future__ import annotations

import itertools
from typing import Any

from .conftest import LiveServer, open_app


def test_dom_helper_sets_text_and_refuses_script_routes(
    live_server: LiveServer, context: Any
) -> None:
    """h() puts markup in as text, drops javascript: and data: links, refuses on* attributes."""
    page = context.new_page()
    open_app(page, live_server.url)
    result = page.evaluate(
        """async () => {
            const { h } = await import('/app/dom.js');
            const el = h('p', {}, '<b onmouseover=alert(1)>x</b>');
            const bad = h('a', { href: 'javascript:alert(1)' });
            const data = h('a', { href: 'data:text/html,<script>alert(1)</script>' });
            const tel = h('a', { href: 'tel:+33612345678' });
            let refused = false;
            try { h('img', { attrs: { onerror: 'alert(1)' } }); } catch { refused = true; }
            return { text: el.textContent, children: el.children.length,
                     bad: bad.getAttribute('href'), data: data.getAttribute('href'),
                     tel: tel.getAttribute('href'), refused };
        }"""
    )
    assert result == {
        "text": "<b onmouseover=alert(1)>x</b>",
        "children": 0,
        "bad": None,
        "data": None,
        "tel": "tel:+33612345678",
        "refused": True,
    }


def test_google_maps_legs_chain_at_most_ten_places(live_server: LiveServer, context: Any) -> None:
    """A round of 23 stops is 3 Google Maps legs of at most 10 places, each starting where the
    previous one ended; one stop is a single destination."""
    page = context.new_page()
    open_app(page, live_server.url)
    legs = page.evaluate(
        """async () => {
            const { googleMapsLegs } = await import('/app/queries.js');
            const places = Array.from({ length: 23 }, (_, i) => ({ lat: 45 + i / 100, lon: 4 }));
            const parse = (leg) => {
                const u = new URL(leg.url);
                const way = u.searchParams.get('waypoints');
                return { from: leg.from, to: leg.to, origin: u.searchParams.get('origin'),
                         destination: u.searchParams.get('destination'),
                         waypoints: way ? way.split('|').length : 0 };
            };
            return { round: googleMapsLegs(places).map(parse),
                     single: googleMapsLegs(places.slice(0, 1)).map(parse) };
        }"""
    )
    round_legs = legs["round"]
    assert [(leg["from"], leg["to"]) for leg in round_legs] == [(1, 10), (10, 19), (19, 23)]
    for leg in round_legs:
        assert leg["waypoints"] + 2 <= 10
    for previous, leg in itertools.pairwise(round_legs):
        assert leg["origin"] == previous["destination"]
    assert legs["single"] == [
        {"from": 1, "to": 1, "origin": None, "destination": "45,4", "waypoints": 0}
    ]
