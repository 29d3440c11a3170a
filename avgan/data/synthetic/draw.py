"""Pictures of the synthetic ensemble: a player, in their room, holding the instrument.

Every 0.5 s chunk of audio gets one frame that shows the instrument by its shape
and the way it is held (not by a colour per class: instruments share materials,
and the material is shaded and tinted per recording) and the `Pose` of the note
sounding: the stopping hand along the neck, the bow's contact point, the slide,
the pressed valves, the closed tone holes, or the rest pose in silence.

Drawing uses only numpy and Pillow (no TensorFlow: it runs in worker processes).
A frame is drawn at 4x its size with PIL.ImageDraw and box-filtered down, which
antialiases it. It is a pure function of its arguments, so the bytes repeat.

Geometry is in "figure units": the origin is the middle of the player's
shoulders, x to the right of the picture, y down, and one unit is the picture's
width times `Player.scale`. "Left hand" is the player's left, on the picture's
right (the player faces the camera).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from PIL import Image, ImageDraw

from avgan.data.constants import IMAGE_SIZE
from avgan.data.synthetic.instruments import OCTAVE_KEY_BIT, WOODWIND_HOLES, Pose, instrument

RGB = tuple[int, int, int]
_SUPERSAMPLE = 4
_ARM = 0.13  # length of the upper arm and of the forearm, figure units
_STANDING_FLOOR = 0.66  # shoulders to floor, standing
_SEATED_FLOOR = 0.5  # ... and seated
_HAIR_STYLES = 4  # short, long, bald, cap
_PATTERNS = 6  # plain, stripes, panels, window, curtain, picture
ALWAYS_SEATED = ("cello", "tuba")
NEVER_SEATED = ("double_bass",)


@dataclasses.dataclass(frozen=True)
class Player:
    """Who plays one recording (constant over its frames).

    Attributes:
        skin, hair, shirt: RGB colours.
        hair_style: 0 short, 1 long, 2 bald, 3 cap.
        x, y: offset of the player in the picture, fractions of its width/height.
        scale: size of the figure, ~0.85-1.1.
        seated: on a chair; always for cello and tuba, never for double bass.
        tint: brightness change of the instrument's material, ~-0.15..0.15.
    """

    skin: RGB
    hair: RGB
    shirt: RGB
    hair_style: int
    x: float
    y: float
    scale: float
    seated: bool
    tint: float


@dataclasses.dataclass(frozen=True)
class Room:
    """Where one recording is made.

    Attributes:
        wall, floor: RGB colours.
        pattern: 0 plain, 1 stripes, 2 panels, 3 window, 4 curtain, 5 picture.
        light: brightness factor of the whole frame, ~0.8-1.15.
    """

    wall: RGB
    floor: RGB
    pattern: int
    light: float


def _rgb(values) -> RGB:
    return tuple(int(min(max(round(float(v)), 0), 255)) for v in values)  # type: ignore[return-value]


def _shade(color: RGB, factor: float) -> RGB:
    return _rgb(c * factor for c in color)


_SKIN_TONES = np.array(
    [(255, 224, 196), (234, 189, 150), (198, 140, 100), (141, 85, 54), (85, 52, 35)]
)
_HAIR_COLOURS = np.array(
    [(20, 16, 14), (70, 45, 25), (130, 90, 50), (215, 180, 110), (160, 60, 25), (170, 170, 170)]
)


def random_player(rng: np.random.Generator, instrument_name: str) -> Player:
    """A random player of `instrument_name`; the same rng state gives the same Player."""
    instrument(instrument_name)  # validates the name
    t = rng.uniform(0, len(_SKIN_TONES) - 1)
    i = min(int(t), len(_SKIN_TONES) - 2)
    skin = _SKIN_TONES[i] * (1 - (t - i)) + _SKIN_TONES[i + 1] * (t - i)
    hair = _HAIR_COLOURS[rng.integers(len(_HAIR_COLOURS))] + rng.normal(0, 8, 3)
    shirt = rng.uniform(15, 240, 3)
    seated = bool(rng.random() < 0.35)
    if instrument_name in ALWAYS_SEATED:
        seated = True
    elif instrument_name in NEVER_SEATED:
        seated = False
    return Player(
        skin=_rgb(skin + rng.normal(0, 6, 3)),
        hair=_rgb(hair),
        shirt=_rgb(shirt),
        hair_style=int(rng.integers(_HAIR_STYLES)),
        x=float(rng.uniform(-0.12, 0.12)),
        y=float(rng.uniform(-0.03, 0.03)),
        scale=float(rng.uniform(0.85, 1.1)),
        seated=seated,
        tint=float(rng.uniform(-0.15, 0.15)),
    )


def random_room(rng: np.random.Generator) -> Room:
    """A random room; the same rng state gives the same Room."""
    wall = rng.uniform(70, 230) * (1 + rng.uniform(-0.18, 0.18, 3))
    floor = rng.uniform(40, 170) * np.array([1.0, 0.85, 0.7]) * (1 + rng.uniform(-0.1, 0.1, 3))
    return Room(
        wall=_rgb(wall),
        floor=_rgb(floor),
        pattern=int(rng.integers(_PATTERNS)),
        light=float(rng.uniform(0.8, 1.15)),
    )


def palette(material: str, tint: float = 0.0) -> dict[str, RGB]:
    """Colours of a material ('wood', 'black', 'brass', 'silver'), brightened by `tint`.

    Returns {'base', 'dark', 'light'}: body, shadow/outline and highlight. Every
    instrument of a material uses this one function, so colour says the material only.
    """
    base, dark, light = {
        "wood": ((150, 72, 32), (78, 34, 14), (212, 134, 72)),
        "black": ((34, 32, 34), (8, 8, 8), (118, 118, 124)),
        "brass": ((204, 160, 52), (122, 86, 20), (252, 228, 140)),
        "silver": ((184, 187, 194), (104, 106, 116), (248, 248, 252)),
    }[material]
    f = 1.0 + tint
    return {"base": _shade(base, f), "dark": _shade(dark, f), "light": _shade(light, f)}


class _Pen:
    """Draws shapes given in local coordinates through an affine map to canvas pixels."""

    def __init__(self, draw: ImageDraw.ImageDraw, m: tuple[float, ...]):
        self.draw = draw
        self.m = m  # (a, b, c, d, e, f): X = a x + b y + c, Y = d x + e y + f
        self.k = math.hypot(m[0], m[3])  # pixels per local unit

    def child(self, x: float, y: float, angle: float = 0.0) -> _Pen:
        """A pen whose origin is local (x, y), its axes turned by `angle` degrees."""
        a, b, c, d, e, f = self.m
        co, si = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        return _Pen(
            self.draw,
            (
                a * co + b * si,
                -a * si + b * co,
                a * x + b * y + c,
                d * co + e * si,
                -d * si + e * co,
                d * x + e * y + f,
            ),
        )

    def px(self, x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f = self.m
        return (a * x + b * y + c, d * x + e * y + f)

    def poly(self, pts, fill: RGB, outline: RGB | None = None, width: float = 0.0) -> None:
        w = max(1, round(width * self.k)) if outline else 0
        self.draw.polygon([self.px(*p) for p in pts], fill=fill, outline=outline, width=w)

    def line(self, pts, fill: RGB, width: float) -> None:
        self.draw.line(
            [self.px(*p) for p in pts],
            fill=fill,
            width=max(1, round(width * self.k)),
            joint="curve",
        )

    def ellipse(self, cx, cy, rx, ry, fill, outline=None, width=0.0, angle=0.0, n=18) -> None:
        co, si = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        pts = []
        for i in range(n):
            t = 2 * math.pi * i / n
            ex, ey = rx * math.cos(t), ry * math.sin(t)
            pts.append((cx + ex * co - ey * si, cy + ex * si + ey * co))
        self.poly(pts, fill, outline, width)

    def tube(self, p0, p1, w0: float, w1: float, pal: dict[str, RGB]) -> None:
        """A shaded straight tube from p0 (width w0) to p1 (width w1): outline, body, highlight."""
        dx, dy = p1[0] - p0[0], p1[1] - p0[1]
        n = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / n, dx / n
        for colour, f in ((pal["dark"], 0.5), (pal["base"], 0.36)):
            a0, a1 = w0 * f, w1 * f
            quad = [
                (p0[0] + nx * a0, p0[1] + ny * a0),
                (p1[0] + nx * a1, p1[1] + ny * a1),
                (p1[0] - nx * a1, p1[1] - ny * a1),
                (p0[0] - nx * a0, p0[1] - ny * a0),
            ]
            self.poly(quad, colour)
        o = -0.15 * (w0 + w1) / 2
        self.line(
            [(p0[0] + nx * o, p0[1] + ny * o), (p1[0] + nx * o, p1[1] + ny * o)],
            pal["light"],
            0.2 * min(w0, w1),
        )

    def bent(self, pts, width: float, pal: dict[str, RGB]) -> None:
        """A shaded bent tube along a polyline of constant width."""
        self.line(pts, pal["dark"], width)
        self.line(pts, pal["base"], width * 0.7)
        self.line([(x - width * 0.15, y - width * 0.15) for x, y in pts], pal["light"], width * 0.2)


# --- Instruments --------------------------------------------------------------------------
# Each draws the instrument's body with `pen` (figure units) and returns the pixel positions
# of the left and right hands and a function drawing the parts in front of the hands.


def _holes(
    pen: _Pen, pts, octave_pt, fingering: int, r: float, open_c: RGB, closed_c: RGB, ring: RGB
) -> None:
    """Six tone holes at `pts` from the top and the octave (thumb) key at `octave_pt`."""
    for i, (x, y) in enumerate(pts[:WOODWIND_HOLES]):
        if fingering >> i & 1:  # closed: a finger pad over the hole, larger than the hole
            pen.ellipse(x, y, r * 1.25, r * 1.25, closed_c)
        else:
            pen.ellipse(x, y, r, r, open_c, outline=ring, width=r * 0.45)
    ox, oy = octave_pt
    pressed = fingering & OCTAVE_KEY_BIT
    pen.ellipse(
        ox, oy, r * 1.3, r * 1.3, closed_c if pressed else open_c, outline=ring, width=r * 0.4
    )


# Per bowed instrument: origin (figure units), angle of the neck axis, size, where the bow
# crosses the strings (fraction of the body from the bottom), bow direction and length.
_BOWED_PLACEMENT = {
    "violin": ((0.03, -0.04), -12.0, 1.12, -36.0, 0.3),
    "viola": ((0.03, -0.035), -12.0, 1.3, -36.0, 0.33),
    "cello": ((0.0, 0.47), -82.0, 2.7, 4.0, 0.3),
    "double_bass": ((0.14, 0.64), -97.0, 4.0, 6.0, 0.3),
}


def _bowed(pen: _Pen, pose: Pose, pal, name: str, skin: RGB):
    """Violin/viola under the chin, cello between the knees, double bass standing beside."""
    origin, angle, k, bow_angle, bow_len = _BOWED_PLACEMENT[name]
    rest = not pose.playing
    if rest and name in ("violin", "viola"):  # lowered to the left hip, neck down
        origin, angle = (0.16, 0.08), 100.0
    ip = pen.child(origin[0], origin[1], angle)
    # Local frame: x from the tail (0) along the neck to the scroll, y across the body.
    body, bout = 0.13 * k, 0.042 * k
    neck_end, scroll = 0.235 * k, 0.012 * k
    if name == "double_bass":
        body, neck_end = 0.125 * k, 0.21 * k  # a long neck on a sloping body
    _bowed_body(ip, pal, k, body, bout, neck_end, scroll)
    if rest:
        left, right, bow = _bowed_at_rest(pen, name, bow_len)
    else:
        left, right, bow = _bowing(pen, ip, pose, k, body, neck_end, bow_angle, bow_len)

    def front() -> None:
        (x0, y0), (x1, y1) = bow
        pen.line([(x0, y0), (x1, y1)], (40, 26, 16), 0.011)  # stick
        pen.line([(x0, y0 + 0.009), (x1, y1 + 0.009)], (240, 236, 222), 0.008)  # hair
        pen.ellipse(x0, y0, 0.012, 0.012, (30, 25, 20))  # frog

    return left, right, front


def _bowed_body(
    ip: _Pen, pal, k: float, body: float, bout: float, neck_end: float, scroll: float
) -> None:
    """Draws a bowed instrument in its local frame (see `_bowed`): body, neck, strings."""
    ip.line([(-0.01 * k, 0), (0.0, 0)], pal["dark"], 0.006 * k)  # endpin / chin rest
    for cx, r in ((0.28, 1.0), (0.74, 0.82)):  # lower and upper bouts, a waist between
        ip.ellipse(body * cx, 0, body * 0.3 * r, bout * r, pal["dark"])
    ip.poly(
        [
            (body * 0.3, -bout * 0.72),
            (body * 0.7, -bout * 0.62),
            (body * 0.7, bout * 0.62),
            (body * 0.3, bout * 0.72),
        ],
        pal["dark"],
    )
    for cx, r in ((0.28, 1.0), (0.74, 0.82)):
        ip.ellipse(body * cx, 0, body * 0.3 * r - 0.005 * k, bout * r - 0.005 * k, pal["base"])
    ip.poly(
        [
            (body * 0.3, -bout * 0.62),
            (body * 0.7, -bout * 0.52),
            (body * 0.7, bout * 0.52),
            (body * 0.3, bout * 0.62),
        ],
        pal["base"],
    )
    ip.ellipse(body * 0.3, -bout * 0.35, body * 0.14, bout * 0.28, pal["light"])  # varnish sheen
    for s in (-1, 1):  # f-holes and grain
        ip.line(
            [(body * 0.32, s * bout * 0.45), (body * 0.52, s * bout * 0.38)], pal["dark"], 0.005 * k
        )
        grain = [(body * 0.08, s * bout * 0.75), (body * 0.9, s * bout * 0.5)]
        ip.line(grain, _shade(pal["base"], 0.85), 0.002 * k)
    fingerboard = (25, 22, 20)
    ip.poly(
        [
            (body * 0.45, -0.007 * k),
            (neck_end, -0.0045 * k),
            (neck_end, 0.0045 * k),
            (body * 0.45, 0.007 * k),
        ],
        fingerboard,
    )
    ip.ellipse(neck_end + scroll, 0, scroll * 1.3, scroll, pal["dark"])  # pegbox and scroll
    ip.ellipse(neck_end + scroll * 1.6, 0, scroll * 0.8, scroll * 0.8, pal["base"])
    ip.line([(body * 0.2, 0), (neck_end, 0)], (225, 220, 200), 0.002 * k)  # strings
    ip.line([(body * 0.33, -bout * 0.35), (body * 0.33, bout * 0.35)], (230, 205, 160), 0.004 * k)


def _bowed_at_rest(pen: _Pen, name: str, bow_len: float):
    """(left hand px, right hand px, bow in figure units): the left hand off the neck, the
    bow hanging from the right hand."""
    left = pen.px(0.14, 0.2) if name in ("violin", "viola") else pen.px(0.13, 0.24)
    rh = (-0.14, 0.24)
    if name == "double_bass":
        rh = (-0.12, 0.25)
    right = pen.px(*rh)
    bow = [rh, (rh[0] + 0.06, rh[1] + bow_len * 0.95)]
    return left, right, bow


def _bowing(
    pen: _Pen,
    ip: _Pen,
    pose: Pose,
    k: float,
    body: float,
    neck_end: float,
    bow_angle: float,
    bow_len: float,
):
    """(left hand px, right hand px, bow in figure units) while playing `pose`."""
    # Stopping hand: 0 at the scroll, 1 where the neck meets the body.
    hx = neck_end - pose.hand * (neck_end - body * 0.95)
    left = ip.px(hx, 0.012 * k)
    # The bow crosses the strings near the bridge; string 0-3 tilts it, `bow` slides it.
    cx, cy = ip.px(body * 0.4, 0)
    a = math.radians(bow_angle + (pose.string - 1.5) * 5.0)
    ux, uy = math.cos(a) * bow_len * pen.k, math.sin(a) * bow_len * pen.k
    frog = (cx - pose.bow * ux, cy - pose.bow * uy)
    right = frog
    inv = 1.0 / pen.k
    o = pen.px(0, 0)
    to_fig = lambda p: ((p[0] - o[0]) * inv, (p[1] - o[1]) * inv)  # noqa: E731
    bow = [to_fig(frog), to_fig((frog[0] + ux, frog[1] + uy))]
    return left, right, bow


def _woodwind_pen(
    pen: _Pen, pose: Pose, play_angle: float, rest: tuple[float, float, float]
) -> _Pen:
    """Pen for an instrument drawn with its mouthpiece at the origin: at the mouth when
    playing, else moved to `rest` = (x, y, angle) away from the mouth."""
    if pose.playing:
        return pen.child(0.0, -0.07, play_angle)
    return pen.child(rest[0], rest[1], rest[2])


def _tube_wind(pen: _Pen, pose: Pose, pal, name: str, skin: RGB):
    """Flute (horizontal, silver), oboe and clarinet (down from the mouth, black)."""
    if name == "flute":
        ip = _woodwind_pen(pen, pose, 188.0, (-0.1, 0.05, 100.0))
        length, w0, w1, top = 0.38, 0.022, 0.02, 0.06
        ip.tube((-0.05, 0), (length, 0), w0, w1, pal)
        ip.ellipse(0.0, 0.0, 0.008, 0.005, (30, 30, 30))  # embouchure hole
        ip.line([(-0.05, 0), (-0.046, 0)], pal["dark"], 0.024)  # crown
    else:
        clar = name == "clarinet"
        ip = _woodwind_pen(pen, pose, 76.0 if clar else 80.0, (-0.04, 0.18, 135.0))
        length, top = (0.42, 0.1) if clar else (0.32, 0.08)
        w0, w1 = (0.026, 0.03) if clar else (0.018, 0.026)
        ip.tube((0.0, 0), (length, 0), w0, w1, pal)
        bell = 0.075 if clar else 0.04  # clarinet: a distinct flared bell; oboe a small one
        flare = length - (0.07 if clar else 0.04)
        ip.poly(
            [
                (flare, -w1 * 0.5),
                (length + 0.01, -bell / 2),
                (length + 0.01, bell / 2),
                (flare, w1 * 0.5),
            ],
            pal["base"],
            pal["dark"],
            0.004,
        )
        ip.line([(length + 0.006, -bell / 2), (length + 0.006, bell / 2)], pal["light"], 0.004)
        ip.line([(0.0, 0), (0.025, 0)], (20, 20, 20) if clar else (150, 110, 60), w0 * 0.7)  # reed
        silver = palette("silver")
        if clar:  # silver rings and key rods on the black wood
            for x in (0.05, 0.2, 0.36):
                ip.line([(x, -w0 * 0.55), (x, w0 * 0.55)], silver["light"], 0.006)
            ip.line([(top, w0 * 0.45), (length - 0.1, w0 * 0.45)], silver["base"], 0.003)
        else:
            ip.line([(0.03, -w0 * 0.55), (0.03, w0 * 0.55)], silver["light"], 0.005)
    span = (length - top) * (0.72 if name == "flute" else 0.6)
    holes = [(top + span * i / (WOODWIND_HOLES - 1), 0.0) for i in range(WOODWIND_HOLES)]
    octave = (top - 0.03, 0.026)
    left, right = ip.px(top + span * 0.2, 0.022), ip.px(top + span * 0.8, 0.022)
    if name == "flute":
        open_c, closed_c, ring = (235, 236, 240), (40, 38, 40), pal["dark"]
    else:
        s = palette("silver")
        open_c, closed_c, ring = (20, 20, 20), skin, s["light"]

    def front() -> None:
        _holes(ip, holes, octave, pose.fingering, 0.0095, open_c, closed_c, ring)

    return left, right, front


def _bassoon(pen: _Pen, pose: Pose, pal, name: str, skin: RGB):
    """A tall wood tube held diagonally across the body, a bent bocal to the mouth."""
    ip = _woodwind_pen(pen, pose, 0.0, (0.02, 0.18, -20.0))
    # Drawn as when playing, relative to the mouth: boot low on the right, top above the head.
    boot, top = (-0.13, 0.42), (0.09, -0.15)
    ip.tube(boot, top, 0.05, 0.046, pal)
    side = (boot[0] + 0.035, boot[1] + 0.012), (top[0] + 0.05, top[1] + 0.12)
    ip.tube(side[0], side[1], 0.026, 0.024, pal)  # the parallel wing/long joint
    ip.ellipse(top[0], top[1], 0.03, 0.012, pal["light"], pal["dark"], 0.004, angle=-24)
    ip.line(
        [(boot[0] - 0.01, boot[1] + 0.01), (boot[0] + 0.045, boot[1] + 0.02)], pal["dark"], 0.012
    )
    brass = palette("silver")
    at = 0.42  # the bocal leaves the wing joint 42% of the way up
    bx, by = boot[0] + (top[0] - boot[0]) * at, boot[1] + (top[1] - boot[1]) * at
    ip.line([(bx, by), (bx - 0.03, by - 0.06), (-0.015, 0.0), (0.0, 0.0)], brass["dark"], 0.009)
    ip.line([(bx, by), (bx - 0.03, by - 0.06), (-0.015, 0.0), (0.0, 0.0)], brass["light"], 0.004)
    holes = [
        (boot[0] + (top[0] - boot[0]) * f, boot[1] + (top[1] - boot[1]) * f)
        for f in np.linspace(0.12, 0.36, WOODWIND_HOLES)[::-1]
    ]
    octave = (bx + 0.03, by + 0.03)
    left = ip.px(*holes[1])
    right = ip.px(holes[4][0] - 0.02, holes[4][1])

    def front() -> None:
        _holes(ip, holes, octave, pose.fingering, 0.0095, (30, 18, 12), skin, (230, 230, 235))

    return left, right, front


def _sax(pen: _Pen, pose: Pose, pal, name: str, skin: RGB):
    """A brass J: neck from the mouth, a conical body down, a U-bend, the bell turned up."""
    ip = _woodwind_pen(pen, pose, 0.0, (-0.01, 0.12, 18.0))
    ip.line([(0.0, 0.0), (0.01, 0.01)], (20, 20, 20), 0.014)  # mouthpiece
    ip.bent([(0.01, 0.01), (-0.03, 0.03), (-0.07, 0.08)], 0.016, pal)  # neck
    ip.tube((-0.07, 0.08), (-0.08, 0.3), 0.03, 0.055, pal)  # body
    ip.bent([(-0.08, 0.3), (-0.07, 0.36), (-0.02, 0.375), (0.02, 0.34)], 0.055, pal)  # bow
    ip.tube((0.02, 0.34), (0.045, 0.22), 0.06, 0.1, pal)  # bell, turned up
    ip.ellipse(0.046, 0.217, 0.052, 0.016, pal["dark"], pal["light"], 0.006, angle=12)
    holes = [(-0.072 - 0.002 * i, 0.13 + 0.03 * i) for i in range(WOODWIND_HOLES)]
    octave = (-0.045, 0.06)
    left, right = ip.px(-0.1, 0.16), ip.px(-0.1, 0.26)

    def front() -> None:
        _holes(ip, holes, octave, pose.fingering, 0.01, (236, 226, 200), (45, 30, 10), pal["dark"])

    return left, right, front


def _valves(ip: _Pen, xs, y: float, fingering: int, pal, up: float = 0.035) -> None:
    """Piston valves standing on the tube at height y: pressed ones lowered and dark."""
    for i, x in enumerate(xs):
        pressed = fingering >> i & 1
        ip.poly(
            [(x - 0.011, y), (x + 0.011, y), (x + 0.011, y + 0.05), (x - 0.011, y + 0.05)],
            pal["base"],
            pal["dark"],
            0.003,
        )
        h = 0.006 if pressed else up
        ip.line([(x, y), (x, y - h)], pal["light"], 0.006)
        cap = (35, 25, 15) if pressed else (245, 240, 225)
        ip.ellipse(x, y - h, 0.013, 0.007, cap, pal["dark"], 0.002)


def _trumpet(pen: _Pen, pose: Pose, pal, name: str, skin: RGB):
    """Small, horizontal, held at the mouth with the bell forward; three valves on top."""
    ip = _woodwind_pen(pen, pose, 12.0, (0.02, 0.2, 70.0))
    ip.line([(0.0, 0.0), (0.012, 0.0)], pal["light"], 0.01)  # mouthpiece
    ip.tube((0.01, 0.0), (0.2, 0.0), 0.014, 0.022, pal)
    ip.bent([(0.07, 0.045), (0.2, 0.045), (0.2, 0.0)], 0.014, pal)  # the lower loop
    ip.bent([(0.05, 0.0), (0.03, 0.025), (0.07, 0.045)], 0.012, pal)
    ip.poly(
        [(0.2, -0.011), (0.3, -0.05), (0.3, 0.05), (0.2, 0.011)], pal["base"], pal["dark"], 0.004
    )
    ip.ellipse(0.3, 0.0, 0.012, 0.05, pal["light"], pal["dark"], 0.004)
    left, right = ip.px(0.13, 0.06), ip.px(0.1, 0.03)

    def front() -> None:
        _valves(ip, (0.075, 0.105, 0.135), -0.005, pose.fingering, pal)

    return left, right, front


def _horn(pen: _Pen, pose: Pose, pal, name: str, skin: RGB):
    """A round coil at the player's right side, the bell pointing down and back."""
    ip = _woodwind_pen(pen, pose, 0.0, (0.0, 0.12, -25.0))
    c = (-0.14, 0.2)
    ip.bent([(0.0, 0.0), (-0.05, 0.06), (c[0] + 0.03, c[1] - 0.04)], 0.012, pal)  # lead pipe
    ip.ellipse(c[0], c[1], 0.095, 0.095, None, pal["dark"], 0.026, n=28)  # outer coil
    ip.ellipse(c[0], c[1], 0.095, 0.095, None, pal["base"], 0.016, n=28)
    ip.ellipse(c[0] - 0.01, c[1] - 0.01, 0.082, 0.082, None, pal["light"], 0.004, n=28)
    ip.ellipse(c[0], c[1], 0.058, 0.058, None, pal["base"], 0.01, n=24)  # inner coil
    ip.poly(
        [
            (c[0] + 0.06, c[1] + 0.07),
            (c[0] + 0.16, c[1] + 0.1),
            (c[0] + 0.11, c[1] + 0.2),
            (c[0] + 0.04, c[1] + 0.095),
        ],
        pal["base"],
        pal["dark"],
        0.005,
    )  # bell, down and back
    ip.ellipse(c[0] + 0.135, c[1] + 0.15, 0.02, 0.055, pal["dark"], angle=30)
    left, right = ip.px(c[0] + 0.05, c[1] - 0.03), ip.px(c[0] + 0.12, c[1] + 0.14)

    def front() -> None:  # three rotary valves in the middle of the coil
        for i in range(3):
            x, y = c[0] - 0.025 + 0.025 * i, c[1] - 0.005
            pressed = pose.fingering >> i & 1
            ip.ellipse(
                x, y, 0.013, 0.013, (35, 25, 15) if pressed else pal["light"], pal["dark"], 0.003
            )

    return left, right, front


def _trombone(pen: _Pen, pose: Pose, pal, name: str, skin: RGB):
    """A long slide forward from the mouth, out by `hand`, and the bell beside it."""
    ip = _woodwind_pen(pen, pose, 172.0, (0.13, 0.02, 85.0))
    end = 0.26 + 0.18 * pose.hand
    ip.line([(0.0, 0.0), (-0.012, 0.0)], pal["light"], 0.01)
    for y in (0.0, 0.035):  # the two slide tubes and the U joining them
        ip.tube((-0.01, y), (end, y), 0.011, 0.011, pal)
        ip.tube((-0.01, y), (0.13, y), 0.016, 0.016, pal)  # the inner slide's stockings
    ip.bent([(end, 0.0), (end + 0.018, 0.0), (end + 0.018, 0.035), (end, 0.035)], 0.012, pal)
    ip.bent([(-0.01, -0.035), (-0.07, -0.035), (-0.07, 0.0)], 0.012, pal)  # tuning bow
    ip.tube((-0.05, -0.035), (0.12, -0.035), 0.014, 0.02, pal)
    ip.poly(
        [(0.12, -0.045), (0.21, -0.105), (0.21, 0.035), (0.12, -0.025)],
        pal["base"],
        pal["dark"],
        0.004,
    )
    ip.ellipse(0.21, -0.035, 0.014, 0.07, pal["light"], pal["dark"], 0.004)
    ip.line([(end - 0.03, 0.0), (end - 0.03, 0.035)], pal["dark"], 0.007)  # slide brace
    left, right = ip.px(0.06, -0.02), ip.px(end - 0.03, 0.045)
    return left, right, lambda: None


def _tuba(pen: _Pen, pose: Pose, pal, name: str, skin: RGB):
    """A big upright body in the lap, the wide bell up, valves on the side."""
    ip = _woodwind_pen(pen, pose, 0.0, (0.04, 0.0, 0.0))
    if not pose.playing:  # tipped forward in the lap, the mouthpiece away from the mouth
        ip = ip.child(0.04, 0.37, 22.0).child(-0.04, -0.37)
    # Body and bell to the player's left of the face, so the face stays visible.
    ip.tube((0.12, 0.38), (0.13, -0.02), 0.09, 0.1, pal)  # body
    bell = [(0.08, -0.02), (0.05, -0.18), (0.22, -0.18), (0.18, -0.02)]
    ip.poly(bell, pal["base"], pal["dark"], 0.006)
    ip.line([(0.08, -0.16), (0.09, -0.03)], pal["light"], 0.012)
    ip.ellipse(0.135, -0.18, 0.088, 0.022, pal["dark"], pal["light"], 0.008)  # the bell's mouth
    ip.bent([(0.1, 0.36), (0.03, 0.43), (-0.045, 0.38), (-0.045, 0.14)], 0.05, pal)  # bottom bow
    ip.bent([(-0.045, 0.14), (-0.045, 0.06), (0.02, 0.04)], 0.03, pal)
    ip.bent([(0.0, 0.0), (-0.03, 0.02), (-0.03, 0.1)], 0.012, pal)  # mouthpipe
    ip.line([(0.0, 0.0), (0.006, -0.004)], pal["light"], 0.01)
    left, right = ip.px(0.18, 0.1), ip.px(-0.07, 0.12)

    def front() -> None:
        _valves(ip, (-0.075, -0.045, -0.015), 0.1, pose.fingering, pal, up=0.04)

    return left, right, front


_DRAWERS = {
    "bowed": _bowed,
    "flute": _tube_wind,
    "oboe": _tube_wind,
    "clarinet": _tube_wind,
    "bassoon": _bassoon,
    "sax": _sax,
    "trumpet": _trumpet,
    "horn": _horn,
    "trombone": _trombone,
    "tuba": _tuba,
}


# --- Player and room ----------------------------------------------------------------------


def _room(d: ImageDraw.ImageDraw, room: Room, w: int, jx: float, jy: float) -> None:
    """Wall with its pattern and the floor, shifted by the camera shake (jx, jy) pixels."""
    wall, dark = room.wall, _shade(room.wall, 0.82)
    d.rectangle([0, 0, w, w], fill=wall)
    x = lambda f: f * w + jx  # noqa: E731
    y = lambda f: f * w + jy  # noqa: E731
    if room.pattern == 1:  # vertical stripes
        for i in range(-1, 9):
            d.rectangle([x(i / 8), 0, x(i / 8 + 1 / 16), w], fill=_shade(wall, 0.9))
    elif room.pattern == 2:  # panels
        for i in range(3):
            d.rectangle(
                [x(0.04 + i / 3), y(0.08), x(0.29 + i / 3), y(0.62)],
                outline=dark,
                width=max(1, w // 100),
            )
    elif room.pattern == 3:  # a window with a cross frame
        d.rectangle([x(0.64), y(0.08), x(0.94), y(0.46)], fill=(232, 232, 228))
        d.rectangle([x(0.66), y(0.1), x(0.92), y(0.44)], fill=(170, 205, 236))
        d.line([(x(0.79), y(0.1)), (x(0.79), y(0.44))], fill=(232, 232, 228), width=max(1, w // 90))
        d.line(
            [(x(0.66), y(0.27)), (x(0.92), y(0.27))], fill=(232, 232, 228), width=max(1, w // 90)
        )
    elif room.pattern == 4:  # a curtain on the left in the wall's complementary hue
        curtain = _rgb(np.array(wall[::-1]) * 0.7)
        d.rectangle([0, 0, x(0.24), w], fill=curtain)
        for i in range(5):
            d.line(
                [(x(0.03 + i * 0.05), 0), (x(0.03 + i * 0.05), w)],
                fill=_shade(curtain, 0.75),
                width=max(1, w // 80),
            )
    elif room.pattern == 5:  # a framed picture
        d.rectangle([x(0.08), y(0.12), x(0.3), y(0.34)], fill=(60, 45, 30))
        d.rectangle(
            [x(0.1), y(0.14), x(0.28), y(0.32)], fill=_rgb(np.array(room.floor[::-1]) * 1.2)
        )
    horizon = y(0.72)
    d.rectangle([0, horizon, w, w], fill=room.floor)
    d.rectangle([0, horizon - w / 90, w, horizon], fill=_shade(wall, 0.6))  # skirting board
    for f in (0.78, 0.86, 0.95):
        d.line([(0, y(f)), (w, y(f))], fill=_shade(room.floor, 0.85), width=max(1, w // 128))


def _limb(pen: _Pen, start, end, colour: RGB, width: float, side: float, length: float = _ARM):
    """Two-segment limb from `start` to `end` (pixels), bending outward on `side` (+1 right)."""
    (x0, y0), (x1, y1) = start, end
    seg = length * pen.k
    dx, dy = x1 - x0, y1 - y0
    dist = math.hypot(dx, dy) or 1.0
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    h = math.sqrt(max(seg * seg - dist * dist / 4, 0.0))  # a stretched arm goes straight
    nx, ny = -dy / dist, dx / dist
    if nx * side + ny * 0.5 < 0:  # elbow out and down, away from the body
        nx, ny = -nx, -ny
    elbow = (mx + nx * h, my + ny * h)
    pen.draw.line(
        [start, elbow, end], fill=colour, width=max(1, round(width * pen.k)), joint="curve"
    )


def _body(pen: _Pen, player: Player, seated: bool, wide_knees: bool, chair: RGB) -> None:
    """Chair, legs, torso, neck and head, in figure units (origin between the shoulders)."""
    shirt, skin = player.shirt, player.skin
    pants = _rgb(np.array(shirt) * 0.3 + 25)
    shoe = (25, 22, 20)
    if seated:
        floor = _SEATED_FLOOR
        pen.poly([(-0.13, 0.25), (0.13, 0.25), (0.14, 0.29), (-0.14, 0.29)], chair)
        for sx in (-0.12, 0.12):
            pen.line([(sx, 0.29), (sx * 1.05, floor)], _shade(chair, 0.7), 0.014)
        knee = 0.14 if wide_knees else 0.085
        for s in (-1, 1):  # thighs come toward the camera: short and wide; then the shins
            pen.poly(
                [
                    (s * 0.01, 0.25),
                    (s * 0.08, 0.25),
                    (s * (knee + 0.035), 0.34),
                    (s * (knee - 0.035), 0.34),
                ],
                pants,
            )
            pen.line([(s * knee, 0.33), (s * (knee + 0.01), floor - 0.01)], pants, 0.055)
            pen.ellipse(s * (knee + 0.015), floor - 0.008, 0.035, 0.014, shoe)
    else:
        floor = _STANDING_FLOOR
        for s in (-1, 1):
            pen.poly(
                [
                    (s * 0.005, 0.26),
                    (s * 0.078, 0.26),
                    (s * 0.07, floor - 0.01),
                    (s * 0.02, floor - 0.01),
                ],
                pants,
            )
            pen.ellipse(s * 0.05, floor - 0.008, 0.04, 0.014, shoe)
    pen.poly([(-0.1, 0.0), (0.1, 0.0), (0.08, 0.28), (-0.08, 0.28)], shirt)  # torso
    pen.poly([(-0.1, 0.0), (-0.04, 0.0), (-0.06, 0.24), (-0.08, 0.24)], _shade(shirt, 0.85))
    hair, style = player.hair, player.hair_style % _HAIR_STYLES
    if style == 1:  # long hair behind the head, down to the shoulders (the neck in front)
        pen.poly([(-0.06, -0.12), (0.06, -0.12), (0.066, 0.015), (-0.066, 0.015)], hair)
    pen.poly([(-0.02, -0.06), (0.02, -0.06), (0.025, 0.01), (-0.025, 0.01)], _shade(skin, 0.88))
    pen.ellipse(0.0, -0.095, 0.046, 0.055, skin)  # face
    if style in (0, 1):
        pen.poly(
            [
                (-0.048, -0.09),
                (-0.04, -0.14),
                (0.0, -0.156),
                (0.04, -0.14),
                (0.048, -0.09),
                (0.03, -0.125),
                (-0.03, -0.125),
            ],
            hair,
        )
    elif style == 3:  # a cap with a brim
        pen.poly([(-0.048, -0.115), (-0.035, -0.15), (0.035, -0.15), (0.048, -0.115)], hair)
        pen.line([(-0.055, -0.115), (0.065, -0.115)], _shade(hair, 0.7), 0.01)
    for s in (-1, 1):  # eyes
        pen.ellipse(s * 0.017, -0.1, 0.006, 0.005, (30, 25, 25))
    pen.line([(-0.012, -0.068), (0.012, -0.068)], _shade(skin, 0.6), 0.005)  # mouth


def draw_frame(
    instrument_name: str,
    player: Player,
    room: Room,
    pose: Pose,
    jitter: tuple[float, float] = (0.0, 0.0),
    size: int = IMAGE_SIZE,
) -> np.ndarray:
    """One picture of `player` in `room` playing `instrument_name` in `pose`.

    Args:
        instrument_name: one of instruments.INSTRUMENT_NAMES.
        player, room: who and where (per recording).
        pose: the instrument's pose at this moment (instruments.pose_for).
        jitter: camera shake (dx, dy) in pixels of the output.
        size: output width and height in pixels.

    Returns:
        [size, size, 3] uint8 RGB.
    """
    inst = instrument(instrument_name)
    w = size * _SUPERSAMPLE
    img = Image.new("RGB", (w, w))
    draw = ImageDraw.Draw(img)
    jx, jy = jitter[0] * _SUPERSAMPLE, jitter[1] * _SUPERSAMPLE
    _room(draw, room, w, jx, jy)

    name = inst.name
    seated = (player.seated or name in ALWAYS_SEATED) and name not in NEVER_SEATED
    floor_y = 0.93 + player.y
    shoulders_y = floor_y - (_SEATED_FLOOR if seated else _STANDING_FLOOR) * player.scale
    cx = 0.5 + player.x - (0.1 * player.scale if name == "double_bass" else 0.0)
    unit = w * player.scale
    pen = _Pen(draw, (unit, 0.0, cx * w + jx, 0.0, unit, shoulders_y * w + jy))

    chair = _shade(room.floor, 0.55)
    _body(pen, player, seated, name == "cello", chair)
    key = "bowed" if inst.family == "bowed" else name
    left, right, front = _DRAWERS[key](
        pen, pose, palette(inst.material, player.tint), name, player.skin
    )
    for shoulder, hand, side in (((0.085, 0.012), left, 1.0), ((-0.085, 0.012), right, -1.0)):
        _limb(pen, pen.px(*shoulder), hand, player.shirt, 0.042, side)
        r = 0.02 * pen.k
        draw.ellipse([hand[0] - r, hand[1] - r, hand[0] + r, hand[1] + r], fill=player.skin)
    front()

    img = img.reduce(_SUPERSAMPLE)  # box filter: antialiasing
    lut = [min(255, int(i * room.light + 0.5)) for i in range(256)] * 3
    return np.asarray(img.point(lut))
