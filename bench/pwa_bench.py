"""PWA bench: the rep's app in Chromium with a big local store (issue 6, Performance).

Starts the real app on 127.0.0.1 (a thread, temporary SQLite, a few demo accounts), logs a
rep in through the login screen in headless Chromium (/usr/bin/chromium), then fills the
phone's IndexedDB through the app's own store module with --customers accounts and
--interactions interactions (a round of --stops planned visits today among them). Then:

- open offline: a new page with the network cut, from navigation start (performance.now())
  until the first stop of today's round is on screen (polled every animation frame), and
  until the router placed it in the DOM (its performance mark); served by the service worker;
- search: the customer list's search over the whole slice (queries.searchCustomers), and the
  same through the screen (typing in the search field: filter + render of the list);
- code size: the app's own files (web/app, sw.js, index.html, app.css, the manifest; no npm
  package) compressed with gzip -9, file by file as they travel, and as one archive.

Prints medians and the load average; asserts nothing. Targets: open < 1 s, search < 50 ms,
code < 150 KB compressed.

    .venv/bin/python bench/pwa_bench.py [--customers 5000] [--interactions 20000] [--runs 7]
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import statistics
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from server import create_app
from server.demo import DEMO_PASSWORD, seed_demo
from server.extensions import db

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
CHROMIUM = os.environ.get("TOURNEE_CHROMIUM", "/usr/bin/chromium")
QUERIES = ("boul", "lyon", "martin", "garage du", "69", "sarl", "zzz-nothing", "café")

#: Fills the local store through the app's store module (run in the page).
FILL_JS = """
async ([nAccounts, nInteractions, nStops, userId]) => {
  const { db } = await import('/app/store.js');
  const words = ['Boulangerie', 'Garage', 'Café', 'Pharmacie', 'Menuiserie', 'Hôtel', 'Fromagerie',
    'Imprimerie', 'Quincaillerie', 'Boucherie', 'Fleuriste', 'Librairie'];
  const names = ['Martin', 'Bernard', 'Dubois', 'Roux', 'Fabre', 'Chassagne', 'Morel', 'Girard',
    'Rousseau', 'Blanc', 'Garnier', 'Faure', 'Mercier', 'Bonnet', 'Perrin', 'Brunel'];
  const cities = [['Lyon', '69003'], ['Villeurbanne', '69100'], ['Saint-Étienne', '42000'],
    ['Bourg-en-Bresse', '01000'], ['Vienne', '38200'], ['Roanne', '42300'], ['Annecy', '74000'],
    ['Grenoble', '38000'], ['Valence', '26000'], ['Chambéry', '73000']];
  const statuses = ['suspect', 'prospect_cold', 'prospect_warm', 'prospect_hot', 'client',
    'client', 'client', 'partner', 'former_client'];
  let seed = 42;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const now = Date.now();
  const accounts = [];
  for (let i = 0; i < nAccounts; i++) {
    const [city, postal] = pick(cities);
    accounts.push({
      id: crypto.randomUUID(), version: 1, kind: 'company', owner_id: userId,
      name: `${pick(words)} ${pick(names)} ${i}`, trade_name: null, city, postal_code: postal,
      address_line1: `${1 + Math.floor(rnd() * 120)} rue de la République`, status: pick(statuses),
      latitude: 45.2 + rnd(), longitude: 4.3 + rnd(),
      visit_frequency_days: pick([30, 60, 90, null]),
      created_at: new Date(now - 400 * 86400000).toISOString(),
    });
  }
  const interactions = [];
  for (let i = 0; i < nInteractions; i++) {
    const a = accounts[i % accounts.length];
    interactions.push({
      id: crypto.randomUUID(), version: 1, account_id: a.id, user_id: userId,
      kind: pick(['visit', 'call', 'appointment', 'email']),
      status: 'done', starts_at: new Date(now - (2 + rnd() * 700) * 86400000).toISOString(),
      summary: 'Point sur les commandes et la gamme.', contact_ids: [],
    });
  }
  const today = new Date(); today.setHours(8, 30, 0, 0);
  for (let i = 0; i < nStops; i++) {
    interactions.push({
      id: crypto.randomUUID(), version: 1, account_id: accounts[i * 7].id, user_id: userId,
      kind: 'visit', status: 'planned', contact_ids: [],
      starts_at: new Date(today.getTime() + i * 3600000).toISOString(),
      subject: `Étape ${i + 1}`,
    });
  }
  await db.account.bulkPut(accounts);
  for (let i = 0; i < interactions.length; i += 5000) {
    await db.interaction.bulkPut(interactions.slice(i, i + 5000));
  }
  return [await db.account.count(), await db.interaction.count()];
}
"""

#: Times searchCustomers over the in-memory index (built first, timed separately).
SEARCH_JS = """
async (queries) => {
  const q = await import('/app/queries.js');
  const t0 = performance.now();
  const idx = await q.customerIndex({ rebuild: true });
  const build = performance.now() - t0;
  const times = [];
  const counts = {};
  for (let run = 0; run < 5; run++) {
    for (const text of queries) {
      const s = performance.now();
      const found = q.searchCustomers(idx, { q: text });
      times.push(performance.now() - s);
      counts[text] = found.length;
    }
  }
  return { build, times, counts, rows: idx.rows.length };
}
"""

#: Times a keystroke in the search field: filter + render of the list, in one task.
TYPE_JS = """
(text) => {
  const input = document.querySelector('input[name=q]');
  input.value = text;
  const s = performance.now();
  input.dispatchEvent(new Event('input'));
  return performance.now() - s;
}
"""


def code_size() -> tuple[int, int, int, int]:
    """(files, raw bytes, sum of gzip -9 per file, gzip -9 of one tar) of the app's own code."""
    paths = [WEB / "index.html", WEB / "app.css", WEB / "sw.js", WEB / "manifest.webmanifest"]
    paths += sorted(p for p in (WEB / "app").rglob("*") if p.is_file() and p.suffix != ".png")
    raw = sum(p.stat().st_size for p in paths)
    per_file = sum(len(gzip.compress(p.read_bytes(), 9)) for p in paths)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for p in paths:
            tar.add(p, arcname=str(p.relative_to(WEB)))
    return len(paths), raw, per_file, len(gzip.compress(buffer.getvalue(), 9))


def icons_size() -> int:
    """Bytes of the PNG icons (already compressed; reported apart)."""
    return sum(p.stat().st_size for p in (WEB / "app" / "icons").glob("*.png"))


def start_server(tmp: Path) -> tuple[str, Any, str]:
    """The real app on a free port over a small demo base; (url, server, rep e-mail)."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite'}",
            "LOGIN_RATE_LIMIT": "10000 per minute",
        }
    )
    with app.app_context():
        db.create_all()
        seed_demo(n_accounts=5, seed=1, progress=lambda _line: None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server, "camille.martin@demo.tournee.fr"


def main() -> None:
    """Run the bench and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--interactions", type=int, default=20000)
    parser.add_argument("--stops", type=int, default=8)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        url, server, email = start_server(Path(tmp))
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 360, "height": 780}, locale="fr-FR")
        page = context.new_page()
        page.goto(url + "/")
        page.wait_for_selector("html[data-ready='1']")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_function(
            "() => document.querySelector('[data-test=sync-now]')?.dataset.runs >= 1"
        )
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        user_id = page.evaluate("() => import('/app/session.js').then((m) => m.session.user.id)")
        started = time.perf_counter()
        counts = page.evaluate(FILL_JS, [args.customers, args.interactions, args.stops, user_id])
        fill_s = time.perf_counter() - started
        print(f"local store: {counts[0]:,} accounts, {counts[1]:,} interactions ({fill_s:.1f} s)")

        context.set_offline(True)
        opens, marks = [], []
        for _ in range(args.runs):
            page.close()
            page = context.new_page()
            page.goto(url + "/#/today")
            handle = page.wait_for_function(
                "() => document.querySelector('[data-test=stop]') !== null && performance.now()",
                polling="raf",
            )
            opens.append(handle.json_value())
            marks.append(
                page.evaluate(
                    "() => performance.getEntriesByName('tournee:screen').pop().startTime"
                )
            )
            assert page.locator("[data-test=stop]").count() == args.stops
        search = page.evaluate(SEARCH_JS, list(QUERIES))
        page.goto(url + "/#/customers")
        page.wait_for_selector("input[name=q]")
        typed = [page.evaluate(TYPE_JS, text) for _ in range(3) for text in QUERIES]
        browser.close()
        server.shutdown()

    files, raw, per_file, archive = code_size()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"open offline to the round: median {statistics.median(opens):.0f} ms "
        f"(min {min(opens):.0f}, max {max(opens):.0f}, {args.runs} runs)   target < 1000 ms"
    )
    print(
        f"  round in the DOM (router's mark, before paint): median "
        f"{statistics.median(marks):.0f} ms (min {min(marks):.0f}, max {max(marks):.0f})"
    )
    print(
        f"customer search ({search['rows']:,} customers): median "
        f"{statistics.median(search['times']):.2f} ms, max {max(search['times']):.2f} ms   "
        f"target < 50 ms"
    )
    print(
        f"  through the screen (filter + render of the list): median "
        f"{statistics.median(typed):.1f} ms, max {max(typed):.1f} ms"
    )
    print(f"  index build (first visit of Clients): {search['build']:.0f} ms")
    print(
        f"app code: {files} files, {raw / 1024:.1f} KB raw, {per_file / 1024:.1f} KB gzip -9 "
        f"file by file, {archive / 1024:.1f} KB as one archive   target < 150 KB"
        f" (+ {icons_size() / 1024:.1f} KB of PNG icons)"
    )


if __name__ == "__main__":
    main()
