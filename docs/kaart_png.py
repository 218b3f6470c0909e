#!/usr/bin/env python3
"""Draws a kaart (GET /v1/areas/{code}/kaart as GeoJSON) over wijk outlines to a PNG.

Plain Python, no packages: the hexagons are filled by a scanline rasteriser and the PNG is
written with zlib, so the picture in the README can be made again on any machine:

    cargo run &
    PRO=$(cargo run -q -- token --sub demo-pro-1 --role professional --gemeente GM0479)
    curl -s -H "Authorization: Bearer $PRO" -H 'Accept: application/geo+json' \
        'http://127.0.0.1:8080/v1/areas/GM0479/kaart?resolution=8' > /tmp/kaart.geojson
    curl -s -H 'Accept: application/geo+json' \
        'http://127.0.0.1:8080/v1/areas?gemeente=GM0479&level=wijk&limit=200' > /tmp/wijken.geojson
    python3 docs/kaart_png.py /tmp/kaart.geojson /tmp/wijken.geojson docs/kaart-zaanstad.png

Colours: each hexagon by its gap (open requests minus supply): blue where supply exceeds
demand, white where they meet, orange to red where requests outnumber what is on offer, grey
hatching where a count was suppressed (fewer than 5 people). Wijk outlines in dark grey.
"""

import json
import math
import struct
import sys
import zlib

WIDTH = 1200
MARGIN = 24


def rings(geometry):
    """Every outer and inner ring of a Polygon or MultiPolygon, as lists of (lng, lat)."""
    if geometry["type"] == "Polygon":
        return [list(map(tuple, r)) for r in geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return [list(map(tuple, r)) for poly in geometry["coordinates"] for r in poly]
    return []


class Canvas:
    def __init__(self, bbox):
        min_lng, min_lat, max_lng, max_lat = bbox
        # Web-map-like aspect: a degree of longitude is cos(lat) of a degree of latitude.
        k = math.cos(math.radians((min_lat + max_lat) / 2))
        span_x = (max_lng - min_lng) * k
        span_y = max_lat - min_lat
        self.scale = (WIDTH - 2 * MARGIN) / span_x
        self.width = WIDTH
        self.height = int(span_y * self.scale) + 2 * MARGIN
        self.k, self.min_lng, self.max_lat = k, min_lng, max_lat
        self.px = bytearray([255, 255, 255] * self.width * self.height)

    def xy(self, lng, lat):
        return (MARGIN + (lng - self.min_lng) * self.k * self.scale, MARGIN + (self.max_lat - lat) * self.scale)

    def put(self, x, y, rgb):
        if 0 <= x < self.width and 0 <= y < self.height:
            i = (y * self.width + x) * 3
            self.px[i : i + 3] = bytes(rgb)

    def fill(self, ring_list, rgb, hatch=False):
        """Even-odd scanline fill of the rings."""
        pts = [[self.xy(*p) for p in r] for r in ring_list]
        ys = [y for r in pts for _, y in r]
        if not ys:
            return
        for y in range(max(0, int(min(ys))), min(self.height, int(max(ys)) + 1)):
            cy = y + 0.5
            xs = []
            for r in pts:
                for (x1, y1), (x2, y2) in zip(r, r[1:] + r[:1]):
                    if (y1 <= cy < y2) or (y2 <= cy < y1):
                        xs.append(x1 + (cy - y1) * (x2 - x1) / (y2 - y1))
            xs.sort()
            for a, b in zip(xs[::2], xs[1::2]):
                for x in range(int(round(a)), int(round(b))):
                    if hatch and (x + y) % 6 < 2:
                        self.put(x, y, (150, 150, 150))
                    else:
                        self.put(x, y, rgb)

    def line(self, ring_list, rgb, width=1):
        for r in ring_list:
            pts = [self.xy(*p) for p in r]
            for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
                steps = int(max(abs(x2 - x1), abs(y2 - y1))) + 1
                for s in range(steps + 1):
                    x = x1 + (x2 - x1) * s / steps
                    y = y1 + (y2 - y1) * s / steps
                    for dx in range(width):
                        for dy in range(width):
                            self.put(int(x) + dx, int(y) + dy, rgb)

    def png(self):
        raw = b"".join(b"\x00" + bytes(self.px[y * self.width * 3 : (y + 1) * self.width * 3]) for y in range(self.height))

        def chunk(tag, data):
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def colour(gap, worst):
    """Blue (supply ahead) through white (even) to red (demand ahead)."""
    if gap is None:
        return (235, 235, 235)
    if gap <= 0:
        t = min(1.0, -gap / max(1, worst))
        return (int(255 - 170 * t), int(255 - 110 * t), 255)
    t = min(1.0, gap / max(1, worst))
    return (255, int(235 - 175 * t), int(200 - 170 * t))


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: kaart_png.py KAART.geojson WIJKEN.geojson OUT.png")
    kaart = json.load(open(sys.argv[1]))
    wijken = json.load(open(sys.argv[2]))
    every = [p for f in kaart["features"] + wijken["features"] for r in rings(f["geometry"]) for p in r]
    bbox = (min(p[0] for p in every), min(p[1] for p in every), max(p[0] for p in every), max(p[1] for p in every))
    canvas = Canvas(bbox)
    gaps = [f["properties"].get("gap") for f in kaart["features"]]
    worst = max([abs(g) for g in gaps if g is not None] or [1])
    for f in kaart["features"]:
        props = f["properties"]
        hidden = bool(props.get("suppressed"))
        canvas.fill(rings(f["geometry"]), colour(props.get("gap"), worst), hatch=hidden)
        canvas.line(rings(f["geometry"]), (205, 205, 205))
    for f in wijken["features"]:
        canvas.line(rings(f["geometry"]), (60, 60, 60), width=2)
    with open(sys.argv[3], "wb") as out:
        out.write(canvas.png())


if __name__ == "__main__":
    main()
