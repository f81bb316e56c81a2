"""Generate the example images shipped in ``src/painterly/examples``.

The examples are drawn from scratch (numpy + Pillow, fixed seeds) so the project owns them outright and
can release them under its own licence; nothing is downloaded or copied. Run from the repository root::

    python scripts/make_examples.py
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parent.parent / "src" / "painterly" / "examples"
SS = 2  # supersampling factor: shapes are drawn at twice the size and downscaled, for anti-aliased edges


# ---------------------------------------------------------------------------------------------- helpers


def fbm(rng: np.random.Generator, w: int, h: int, cells=(48, 24, 12, 6, 3)) -> np.ndarray:
    """Smooth fractal noise in roughly [-1, 1]; gives painted and natural surfaces organic variation."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for c in cells:
        small = rng.standard_normal((h // c + 2, w // c + 2)).astype(np.float32)
        big = Image.fromarray(small, "F").resize((w + 2 * c, h + 2 * c), Image.BICUBIC)
        out += amp * np.asarray(big)[c : c + h, c : c + w]
        total += amp
        amp *= 0.55
    return out / total


def to_image(arr: np.ndarray) -> Image.Image:
    """Convert a float RGB array in 0..255 to an 8-bit image, clipping out-of-range values."""
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")


def blur(arr: np.ndarray, radius: float) -> np.ndarray:
    """Gaussian-blur an RGB float array via Pillow (fast, no SciPy); 8-bit precision is plenty here."""
    return np.asarray(to_image(arr).filter(ImageFilter.GaussianBlur(radius)), np.float32)


def mix(a, b, t):
    """Linear interpolation that broadcasts colours over per-pixel weights."""
    return np.asarray(a, np.float32) * (1 - t) + np.asarray(b, np.float32) * t


def shade(c, k: float) -> tuple[int, int, int]:
    """Scale a colour's brightness (k < 1 darker, k > 1 lighter), clipped to 8 bits."""
    return tuple(int(max(0, min(255, v * k))) for v in c)


# ---------------------------------------------------------------------------------------------- village


def make_village(path: Path) -> None:
    """Content image: a lakeside village with crisp, high-contrast shapes that survive stylisation."""
    rng = np.random.default_rng(1234)
    w, h = 384 * SS, 288 * SS
    water = 214 * SS  # waterline
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    sx = xs / SS

    # Sky: a soft vertical gradient, warmer near the sun.
    t = np.clip(ys / water, 0, 1)[..., None] ** 0.8
    img = mix((62, 112, 188), (206, 222, 236), t)
    sun = (74 * SS, 54 * SS)
    r = np.hypot(xs - sun[0], ys - sun[1]) / SS
    img += (np.exp(-((r / 55) ** 2)) * 0.55)[..., None] * np.array([255, 215, 140]) * (1 - t * 0.3)
    img = np.minimum(img, 255)
    disc = np.clip(17 - r, 0, 1)[..., None]
    img = mix(img, (255, 246, 205), disc)

    # Clouds: clusters of blurred ellipses, grey underneath and white on top.
    cloud = Image.new("L", (w, h), 0)
    cd = ImageDraw.Draw(cloud)
    for cx, cy, n, spread in ((175, 48, 7, 38), (300, 72, 6, 32), (40, 104, 4, 22), (250, 30, 4, 20)):
        for _ in range(n):
            ex = cx + rng.normal(0, spread * 0.5)
            ey = cy + rng.normal(0, 4)
            rx, ry = rng.uniform(12, 22), rng.uniform(6, 11)
            cd.ellipse([(ex - rx) * SS, (ey - ry) * SS, (ex + rx) * SS, (ey + ry) * SS], fill=235)
    cm = np.asarray(cloud.filter(ImageFilter.GaussianBlur(5 * SS)), np.float32) / 255
    under = np.asarray(cloud.filter(ImageFilter.GaussianBlur(3 * SS)), np.float32) / 255
    under = np.clip(under - np.roll(under, -7 * SS, axis=0), 0, 1)  # the lower rim of each cloud
    img = mix(img, (250, 250, 252), np.clip(cm * 1.3, 0, 1)[..., None])
    img = mix(img, (168, 176, 196), (under * 0.6)[..., None])

    # Hills: a hazy far range and a textured near slope with brown fields.
    tex = fbm(rng, w, h)
    fine = fbm(rng, w, h, cells=(4, 2))
    far = 132 + 10 * np.sin(sx / 41 + 1.0) + 6 * np.sin(sx / 17 + 2.0) + 2 * np.sin(sx / 6)
    m_far = np.clip((ys / SS - far) * SS * 0.5, 0, 1)[..., None]
    far_col = mix((128, 156, 160), (100, 134, 120), np.clip((ys / SS - 125) / 50, 0, 1)[..., None])
    img = mix(img, far_col + (tex * 10)[..., None], m_far)

    # Middle hills: sunlit yellow-green with ploughed brown fields (striped) in patches.
    mid = 156 - 14 * np.exp(-(((sx - 60) / 70) ** 2)) - 10 * np.exp(-(((sx - 250) / 60) ** 2))
    mid = mid + 4 * np.sin(sx / 23 + 0.5) + 2 * np.sin(sx / 9)
    below = ys / SS - mid
    grass = mix((140, 172, 82), (96, 140, 58), np.clip(below / 40, 0, 1)[..., None])
    fields = np.clip((fbm(rng, w, h, cells=(36, 18)) - 0.05) * 5, 0, 1)[..., None]
    furrows = 0.85 + 0.15 * np.sin((ys + 0.3 * xs) / SS * 1.6)[..., None]
    grass = mix(grass, np.array([164, 128, 76], np.float32) * furrows, fields * 0.85)
    grass += (tex * 12 + fine * 9)[..., None]
    img = mix(img, grass, np.clip(below * SS * 0.5, 0, 1)[..., None])
    # A dark band of hedges along the field edge gives the hill a crisp outline.
    img = mix(img, (60, 92, 44), (np.clip(1 - np.abs(below - 1.5) / 1.5, 0, 1) * 0.7)[..., None])

    # Near slope: deeper green, rising at both ends of the village.
    near = 184 - 16 * np.exp(-(((sx - 10) / 40) ** 2)) - 18 * np.exp(-(((sx - 380) / 40) ** 2))
    near = near + 3 * np.sin(sx / 13)
    below = ys / SS - near
    green = mix((96, 150, 60), (58, 108, 42), np.clip(below / 30, 0, 1)[..., None])
    green += (tex * 12 + fine * 10)[..., None]
    img = mix(img, green, np.clip(below * SS * 0.5, 0, 1)[..., None])

    # Grass bank along the shore, a little darker.
    m_bank = np.clip((ys - 205 * SS) * 0.5, 0, 1)[..., None]
    bank = mix((70, 118, 50), (48, 86, 40), np.clip((ys - 205 * SS) / (9 * SS), 0, 1)[..., None])
    bank += (fine * 12)[..., None]
    img = mix(img, bank, m_bank)

    pic = to_image(img)
    d = ImageDraw.Draw(pic)

    def S(*v):  # noqa: N802 - tiny local helper: scale final-pixel coordinates to the drawing canvas
        return [c * SS for c in v]

    def tree(x, base, size, dark=(36, 78, 38), light=(78, 130, 60)):
        d.rectangle(S(x - 2, base - size * 0.9, x + 2, base), fill=(78, 54, 36))
        blobs = [
            (rng.uniform(-0.6, 0.6) * size, -size * rng.uniform(1.0, 1.9), size * rng.uniform(0.45, 0.65))
            for _ in range(7)
        ]
        for bx, by, br in blobs:
            d.ellipse(S(x + bx - br, base + by - br, x + bx + br, base + by + br), fill=dark)
        for bx, by, br in blobs[:4]:
            br2 = br * 0.55
            cx, cy = x + bx - br * 0.3, base + by - br * 0.3
            d.ellipse(S(cx - br2, cy - br2, cx + br2, cy + br2), fill=light)

    # A tree behind the houses, drawn first so the houses overlap it.
    tree(172, 198, 15)

    walls = [(244, 222, 150), (238, 172, 160), (170, 216, 186), (166, 196, 232), (206, 184, 224)]
    roofs = [(72, 40, 34), (52, 52, 64), (96, 44, 30), (60, 36, 40), (44, 48, 58)]
    house_x = [(34, 78), (84, 122), (130, 176), (182, 220), (226, 270)]
    heights = [38, 30, 42, 34, 36]
    base = 209
    for i, ((x0, x1), hh) in enumerate(zip(house_x, heights, strict=True)):
        top = base - hh
        wall, roof = walls[i], roofs[i]
        d.rectangle(S(x0, top, x1, base), fill=wall, outline=shade(wall, 0.55), width=SS)
        d.rectangle(S(x0, top, x1, top + 3), fill=shade(wall, 0.7))  # shadow under the eaves
        peak = top - (x1 - x0) * 0.45
        if i % 2 == 0:  # a chimney on some roofs
            cx = x0 + (x1 - x0) * 0.7
            d.rectangle(S(cx, peak + 2, cx + 5, top - 6), fill=(120, 60, 48))
        d.polygon(S(x0 - 4, top + 1, (x0 + x1) / 2, peak, x1 + 4, top + 1), fill=roof)
        d.polygon(S((x0 + x1) / 2, peak, x1 + 4, top + 1, (x0 + x1) / 2, top + 1), fill=shade(roof, 0.7))
        # Windows: light frames, dark glass, a cross of mullions; two floors on the taller houses.
        floors = [top + 8, top + 22] if hh >= 36 else [top + 8]
        wx = [x0 + 6, x1 - 15]
        for fy in floors:
            for wx0 in wx:
                d.rectangle(S(wx0 - 1, fy - 1, wx0 + 10, fy + 10), fill=(246, 244, 236))
                d.rectangle(S(wx0, fy, wx0 + 9, fy + 9), fill=(44, 56, 82))
                d.line(S(wx0 + 4.5, fy, wx0 + 4.5, fy + 9), fill=(246, 244, 236), width=SS)
                d.line(S(wx0, fy + 4.5, wx0 + 9, fy + 4.5), fill=(246, 244, 236), width=SS)
        dx = (x0 + x1) / 2 - 5
        d.rectangle(S(dx, base - 15, dx + 10, base), fill=(104, 62, 40), outline=(60, 36, 24), width=SS)
        d.ellipse(S(dx + 7, base - 8, dx + 9, base - 6), fill=(230, 200, 90))

    # Church tower with spire, clock and belfry openings; its right side in shade.
    tx0, tx1, ttop = 292, 320, 104
    stone = (222, 212, 192)
    d.rectangle(S(tx0 - 14, 168, tx0, base), fill=shade(stone, 0.93), outline=shade(stone, 0.55), width=SS)
    d.polygon(S(tx0 - 17, 169, tx0 - 14, 156, tx0, 156, tx0, 169), fill=(70, 44, 38))
    d.rectangle(S(tx0, ttop, tx1, base), fill=stone, outline=shade(stone, 0.5), width=SS)
    d.rectangle(S(tx0 + 19, ttop + 1, tx1 - 1, base - 1), fill=shade(stone, 0.8))
    d.polygon(S(tx0 - 3, ttop + 1, (tx0 + tx1) / 2, 44, tx1 + 3, ttop + 1), fill=(54, 58, 66))
    d.polygon(S((tx0 + tx1) / 2, 44, tx1 + 3, ttop + 1, (tx0 + tx1) / 2, ttop + 1), fill=(38, 40, 48))
    cxm = (tx0 + tx1) / 2
    d.line(S(cxm, 44, cxm, 34), fill=(60, 56, 50), width=2 * SS)
    d.line(S(cxm - 4, 38, cxm + 4, 38), fill=(60, 56, 50), width=2 * SS)
    d.ellipse(S(cxm - 7, 114, cxm + 7, 128), fill=(250, 248, 240), outline=(50, 46, 40), width=SS)
    d.line(S(cxm, 121, cxm, 115.5), fill=(30, 28, 26), width=SS)
    d.line(S(cxm, 121, cxm + 4, 122), fill=(30, 28, 26), width=SS)
    for ox in (-8, 2):
        d.rectangle(S(cxm + ox, 140, cxm + ox + 6, 156), fill=(40, 38, 44))
        d.ellipse(S(cxm + ox, 137, cxm + ox + 6, 143), fill=(40, 38, 44))
    d.rectangle(S(cxm - 5, base - 18, cxm + 5, base), fill=(92, 56, 36), outline=(50, 30, 20), width=SS)

    # Trees at both ends of the village.
    tree(16, 210, 20)
    tree(352, 210, 23, dark=(32, 70, 40), light=(70, 122, 58))
    tree(334, 208, 12)

    img = np.asarray(pic, np.float32)

    # Lake: a darker, blue-tinted mirror image, rippled sideways and blurred, with a few glints.
    rows = np.arange(water, h)
    src = np.clip(2 * water - rows - 1, 0, h - 1)
    refl = img[src].copy()
    k = (rows - water) / (h - water)
    for j, y in enumerate(rows):
        shift = int(round((1.5 + 4 * k[j]) * SS * math.sin(y / SS * 0.9 + 1.3 * math.sin(y / SS * 0.21))))
        refl[j] = np.roll(refl[j], shift, axis=0)
    kern = 3 * SS
    refl = sum(np.roll(refl, s, axis=1) for s in range(-kern, kern + 1)) / (2 * kern + 1)
    refl = blur(refl, 1.2 * SS)
    deep = mix((64, 100, 130), (34, 60, 86), k[:, None, None])
    lake = mix(refl * 0.62, deep, 0.38 + 0.25 * k[:, None, None])
    streak = (fbm(rng, w, h - water, cells=(60, 30))[:, :] > 0.35) & (
        np.sin(np.arange(h - water) / SS * 1.7)[:, None] > 0.93
    )
    lake += streak[..., None] * 30
    img[water:] = lake
    img[water : water + SS] *= 0.6  # dark line where the bank meets the water

    # Photographic finish: downscale, gentle blur, mild vignette and fine luminance grain.
    pic = to_image(img).resize((384, 288), Image.LANCZOS).filter(ImageFilter.GaussianBlur(0.45))
    out = np.asarray(pic, np.float32)
    yy, xx = np.mgrid[0:288, 0:384]
    vign = 1 - 0.18 * (((xx - 192) / 192) ** 2 + ((yy - 144) / 144) ** 2) / 2
    out = out * vign[..., None] + rng.normal(0, 2.6, (288, 384, 1))
    to_image(out).save(path, quality=90, optimize=True)


# ---------------------------------------------------------------------------------------------- swirls


def make_swirls(path: Path) -> None:
    """Style image: dense curved impasto strokes along a swirling flow field, in the spirit of Van Gogh."""
    rng = np.random.default_rng(1889)
    W, H = 320, 256  # noqa: N806 - final size, in the usual image notation
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)

    stars = [(70, 58, 26), (250, 44, 20), (168, 150, 16)]  # x, y, halo radius
    moon = (282, 200, 30)  # a larger glowing disc low on the right
    vortices = [(150, 80, 48, 1.0), (210, 110, 34, -0.8), (60, 170, 40, 0.7)]

    # Stream function: drifting horizontal bands, a few waves and vortices; its level sets are the strokes.
    psi = 0.35 * ys + 9 * np.sin(xs / 41 + ys / 67) + 6 * np.sin(ys / 23 - xs / 58 + 1.0)
    psi += 4 * np.sin(xs / 17 + 2.0) * np.cos(ys / 29)
    for cx, cy, s, sgn in vortices:
        psi += sgn * 26 * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * s * s))
    for cx, cy, s in [*stars, moon]:
        psi += 18 * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * (s * 0.7) ** 2))
    gy, gx = np.gradient(psi)
    u, v = gy, -gx
    norm = np.hypot(u, v) + 1e-6
    u, v = u / norm, v / norm

    blues = [
        (14, 24, 72),
        (24, 42, 118),
        (38, 72, 160),
        (60, 112, 190),
        (96, 160, 206),
        (150, 200, 220),
        (216, 230, 232),
    ]
    yellows = [(255, 236, 120), (250, 204, 60), (240, 160, 40), (255, 248, 200), (228, 190, 90)]

    fbm_field = fbm(rng, W, H, cells=(64, 32))

    def halo(x, y):
        """0..1: how strongly (x, y) lies in a star's or the moon's glow."""
        best = 0.0
        for cx, cy, s in [*stars, moon]:
            best = max(best, 1 - math.hypot(x - cx, y - cy) / (s * 1.5))
        return best

    def colour(x, y, light_bias):
        """Yellow near the lights, else a blue picked by streamline band, so colours run along the swirls."""
        if rng.random() < halo(x, y) * 1.2:
            c = yellows[rng.integers(len(yellows))]
        else:
            band = psi[int(y) % H, int(x) % W] / 7 + fbm_field[int(y) % H, int(x) % W] * 1.5
            i = int(np.clip((math.sin(band) * 0.5 + 0.5) * 4 + rng.normal(0, 0.9) + light_bias, 0, 6))
            c = blues[i]
        return tuple(int(np.clip(ch + rng.normal(0, 9), 0, 255)) for ch in c)

    canvas = np.zeros((H * SS, W * SS, 3), np.float32) + np.array([22, 34, 96], np.float32)
    canvas += (fbm(rng, W * SS, H * SS, cells=(80, 40)) * 18)[..., None]
    pic = to_image(canvas)
    d = ImageDraw.Draw(pic)

    def trace(x, y, length, flow_sign=1.0, field=None):
        """Follow the flow field from (x, y), so each stroke curves with the swirl it sits in."""
        fu, fv = field if field is not None else (u, v)
        pts = [(x, y)]
        step = 1.5
        for _ in range(int(length / step)):
            i, j = int(y) % H, int(x) % W
            x += flow_sign * fu[i, j] * step
            y += flow_sign * fv[i, j] * step
            pts.append((x, y))
        return pts

    def stroke(pts, c, width):
        """Paint one stroke: tapered body over a dark rim, bristle streaks, a thin highlight on one side."""
        ws = width * SS
        p = np.array(pts, np.float32) * SS
        if len(p) < 3:
            return
        tang = np.gradient(p, axis=0)
        tang /= np.linalg.norm(tang, axis=1, keepdims=True) + 1e-6
        nrm = np.stack([-tang[:, 1], tang[:, 0]], axis=1)
        t = np.linspace(0, 1, len(p))[:, None]
        half = ws / 2 * (0.55 + 0.45 * np.sin(np.pi * (0.15 + 0.85 * t)))  # blunt start, tapering end
        o = ws * 0.2
        dark = shade(c, 0.62)
        for off, col, grow in ((o, dark, SS * 0.6), (0.0, c, 0.0)):
            q = p + off
            outline = np.concatenate([q + nrm * (half + grow), (q - nrm * (half + grow))[::-1]])
            d.polygon([tuple(v) for v in outline], fill=col)
            r0 = half[0, 0] + grow
            d.ellipse([q[0, 0] - r0, q[0, 1] - r0, q[0, 0] + r0, q[0, 1] + r0], fill=col)
        for _ in range(3):  # bristle streaks running along the stroke
            f = rng.uniform(-0.7, 0.7)
            col = shade(c, rng.uniform(0.78, 1.25))
            d.line([tuple(v) for v in (p + nrm * half * f)[1:-1]], fill=col, width=SS)
        side = 1.0 if (nrm[:, 0] + nrm[:, 1]).mean() < 0 else -1.0  # the edge facing the upper-left light
        light = shade(tuple(ch + 35 for ch in c), 1.1)
        d.line([tuple(v) for v in (p + nrm * half * 0.6 * side)[1:-2]], fill=light, width=SS)

    # Three passes: broad dark underpainting, the main layer, then fine light accents.
    for n, (wlo, whi), (llo, lhi), bias in (
        (900, (6, 8), (20, 30), -1.2),
        (2600, (4, 7), (12, 26), 0.0),
        (1100, (3, 4), (10, 18), 1.0),
    ):
        for _ in range(n):
            x, y = rng.uniform(-5, W + 5), rng.uniform(-5, H + 5)
            pts = trace(x, y, rng.uniform(llo, lhi), flow_sign=1.0 if rng.random() < 0.5 else -1.0)
            stroke(pts, colour(x, y, bias), rng.uniform(wlo, whi))

    # Stars and moon: concentric rings of short arc strokes around a glowing core.
    for cx, cy, s in [*stars, moon]:
        for ring in np.arange(s * 1.3, 2, -3.5):
            t = ring / (s * 1.3)
            n_arcs = max(3, int(2 * math.pi * ring / 9))
            phase = rng.uniform(0, 2 * math.pi)
            for k in range(n_arcs):
                a0 = phase + 2 * math.pi * k / n_arcs
                span = rng.uniform(7, 12) / ring
                angles = a0 + span * np.arange(7) / 6
                pts = list(zip(cx + ring * np.cos(angles), cy + ring * np.sin(angles)))
                if t > 0.75:
                    pale_blue, yellow = blues[rng.integers(4, 7)], yellows[rng.integers(len(yellows))]
                    c = pale_blue if rng.random() < 0.5 else yellow
                elif t > 0.4:
                    c = yellows[rng.integers(1, 5)]
                else:
                    c = yellows[[0, 3][rng.integers(2)]]
                stroke(pts, c, rng.uniform(3, 4.5))
        d.ellipse(
            [(cx - s * 0.25) * SS, (cy - s * 0.25) * SS, (cx + s * 0.25) * SS, (cy + s * 0.25) * SS],
            fill=(255, 250, 215),
        )

    # A dark cypress rising on the left: upright, flickering strokes in near-black greens.
    cyp_u = 0.5 * np.sin(ys / 9 + xs / 7)
    cyp_v = -np.ones_like(v)
    greens = [(14, 28, 24), (26, 50, 34), (46, 76, 42), (10, 14, 22), (62, 86, 46), (84, 74, 38)]
    for _ in range(520):
        y = rng.uniform(70, H + 5)
        half = 16 * (y - 70) / (H - 70) + 2
        x = 24 + rng.uniform(-half, half) + 4 * math.sin(y / 19)
        pts = trace(x, y, rng.uniform(10, 24), field=(cyp_u, cyp_v))
        stroke(pts, greens[rng.integers(len(greens))], rng.uniform(3, 5.5))

    out = np.asarray(pic.resize((W, H), Image.LANCZOS), np.float32)
    out += rng.normal(0, 2.0, (H, W, 1))
    to_image(out).save(path, quality=88, optimize=True)


# ---------------------------------------------------------------------------------------------- mosaic


def make_mosaic(path: Path) -> None:
    """Style image: stained glass, i.e. jewel-coloured Voronoi cells with thick dark leading between them."""
    rng = np.random.default_rng(7)
    n, size = 240, 256
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    pix = np.stack([xs.ravel(), ys.ravel()], axis=1)
    seeds = rng.uniform(0, size, (n, 2)).astype(np.float32)
    for _ in range(3):  # Lloyd relaxation: evens out the cells, like a glazier's cut
        d2 = ((pix[:, None, :] - seeds[None, :, :]) ** 2).sum(-1)
        lab = d2.argmin(1)
        cnt = np.bincount(lab, minlength=n).clip(1)
        seeds = np.stack([np.bincount(lab, pix[:, k], n) / cnt for k in range(2)], axis=1).astype(np.float32)
    d2 = ((pix[:, None, :] - seeds[None, :, :]) ** 2).sum(-1)
    two = np.partition(d2, 1, axis=1)[:, :2]
    lab = d2.argmin(1).reshape(size, size)
    gap = (np.sqrt(two[:, 1]) - np.sqrt(two[:, 0])).reshape(size, size)  # ~2x distance to the nearest edge

    jewels = np.array(
        [
            (168, 18, 34),
            (206, 40, 52),
            (120, 12, 40),
            (18, 126, 66),
            (52, 158, 58),
            (12, 88, 60),
            (226, 172, 30),
            (236, 128, 18),
            (22, 48, 150),
            (30, 34, 108),
            (40, 96, 190),
            (96, 28, 120),
        ],
        np.float32,
    )
    weights = np.array([3, 2, 2, 3, 2, 2, 3, 2, 3, 3, 2, 1], np.float64)
    cell_col = jewels[rng.choice(len(jewels), n, p=weights / weights.sum())]
    cell_col *= rng.uniform(0.85, 1.12, (n, 1))

    # Per-cell shading: glass glows brighter at its centre and has a tilt toward a random direction.
    cx, cy = seeds[lab, 0], seeds[lab, 1]
    ang = rng.uniform(0, 2 * math.pi, n)[lab]
    rad = np.hypot(xs - cx, ys - cy)
    tilt = ((xs - cx) * np.cos(ang) + (ys - cy) * np.sin(ang)) / 14
    glow = 1.12 - 0.018 * rad + 0.1 * tilt + 0.05 * fbm(rng, size, size, cells=(16, 8))
    img = cell_col[lab] * np.clip(glow, 0.55, 1.35)[..., None]

    # Lead came: dark, slightly rounded (lighter along its ridge), anti-aliased into the glass.
    lead_w = 2.8
    lead_a = np.clip((lead_w - gap) / 0.9 + 0.5, 0, 1)[..., None]
    ridge = np.clip(1 - gap / lead_w, 0, 1)[..., None]
    lead = np.array([26, 24, 22], np.float32) + ridge * np.array([22, 21, 20], np.float32)
    img = mix(img, lead, lead_a)
    border = np.minimum.reduce([xs, ys, size - 1 - xs, size - 1 - ys])
    img = mix(img, (22, 20, 18), np.clip(3.5 - border, 0, 1)[..., None])
    to_image(img).save(path, optimize=True)


def main() -> None:
    """Write all example images and report their sizes."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name, fn in (("village.jpg", make_village), ("swirls.jpg", make_swirls), ("mosaic.png", make_mosaic)):
        p = OUT / name
        fn(p)
        with Image.open(p) as im:
            print(f"{p.name}: {im.size[0]}x{im.size[1]}, {p.stat().st_size / 1024:.1f} KB")


if __name__ == "__main__":
    main()
