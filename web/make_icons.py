"""Draw Tournée's app icons (web/app/icons/*.png) without any image library.

The artwork: a white map pin on the app's teal, with an amber trail of stops behind it.
Shapes are signed-distance functions sampled 4x4 per pixel (anti-aliasing); the PNG is
written with zlib. "any" icons have rounded corners; the maskable one is full bleed with the
drawing inside the 80 % safe zone. Run: python3 web/make_icons.py
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

TEAL = (15, 93, 107)
WHITE = (255, 255, 255)
AMBER = (242, 169, 59)
OUT = Path(__file__).resolve().parent / "app" / "icons"


def rounded_square(x: float, y: float, radius: float) -> float:
    """Signed distance to the unit square [0,1]^2 with rounded corners (negative inside)."""
    qx, qy = abs(x - 0.5) - 0.5 + radius, abs(y - 0.5) - 0.5 + radius
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - radius


def pin(x: float, y: float) -> tuple[float, float]:
    """Signed distances to the pin's body (head + point) and to its hole."""
    cx, cy, r = 0.60, 0.40, 0.19
    head = math.hypot(x - cx, y - cy) - r
    # The point: a triangle from the head's sides down to (cx, 0.80), as a half-plane pair.
    tip_y = 0.80
    dx, dy = abs(x - cx), y - cy
    if 0 <= dy <= tip_y - cy:
        half_width = r * 0.92 * (1 - dy / (tip_y - cy))
        tri = dx - half_width
    else:
        tri = 1.0
    body = min(head, tri)
    hole = math.hypot(x - cx, y - cy) - r * 0.42
    return body, hole


def trail(x: float, y: float) -> float:
    """Signed distance to three stops leading to the pin."""
    stops = ((0.22, 0.80, 0.055), (0.33, 0.66, 0.045), (0.41, 0.54, 0.035))
    return min(math.hypot(x - sx, y - sy) - r for sx, sy, r in stops)


def colour_at(x: float, y: float, *, maskable: bool) -> tuple[int, int, int, int]:
    """Colour of one sample, in icon units (0..1)."""
    if maskable:
        # The safe zone is the centred circle of 80 %: draw the artwork at 70 % size.
        x, y = (x - 0.5) / 0.70 + 0.5, (y - 0.5) / 0.70 + 0.5
    elif rounded_square(x, y, 0.18) > 0:
        return (0, 0, 0, 0)
    body, hole = pin(x, y)
    if body < 0 and hole > 0:
        return (*WHITE, 255)
    if trail(x, y) < 0:
        return (*AMBER, 255)
    return (*TEAL, 255)


def render(size: int, *, maskable: bool, samples: int = 4) -> bytes:
    """RGBA rows of the icon, averaged over samples x samples points per pixel."""
    rows = bytearray()
    n = samples * samples
    for py in range(size):
        rows.append(0)  # PNG filter: none
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) / size
                    y = (py + (sy + 0.5) / samples) / size
                    r, g, b, a = colour_at(x, y, maskable=maskable)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            alpha = acc[3]
            if alpha:
                rows += bytes((acc[0] // alpha, acc[1] // alpha, acc[2] // alpha, alpha // n))
            else:
                rows += b"\0\0\0\0"
    return bytes(rows)


def png(size: int, rgba_rows: bytes) -> bytes:
    """A PNG file of 8-bit RGBA rows."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    """Write icon-192.png, icon-512.png and maskable-512.png."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-512.png", 512, True),
    ):
        (OUT / name).write_bytes(png(size, render(size, maskable=maskable)))
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
