"""The letter forms of the handwriting model: A-Z as people write capitals.

Each letter has several forms (an A with a pointed or a flat top, a G with or without
its bar, an M with straight or slanted legs, an E with straight or curved strokes, a J
with or without a top bar, ...), each a few strokes of lines, elliptic arcs and Bezier
curves in a box one unit high (y down). handwriting.py varies and draws them.
"""

from __future__ import annotations

import numpy as np

Stroke = np.ndarray  # (k, 2) points (x, y), y down, the letter one unit high
Form = tuple[tuple[Stroke, ...], tuple[bool, ...]]  # strokes, and which may be left out


# ---------------------------------------------------------------- stroke pieces
def _line(*points: tuple[float, float]) -> Stroke:
    return np.asarray(points, dtype=np.float64)


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float) -> Stroke:
    """Elliptic arc from angle a0 to a1 in degrees (0 right, 90 down, as the y axis points down)."""
    n = max(4, int(abs(a1 - a0) / 10) + 1)
    t = np.radians(np.linspace(a0, a1, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _bezier(p0, p1, p2, p3) -> Stroke:
    t = np.linspace(0.0, 1.0, 16)[:, None]
    p = [np.asarray(q, dtype=np.float64) for q in (p0, p1, p2, p3)]
    return (1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t ** 2 * p[2] + t ** 3 * p[3]


def _join(*pieces: Stroke) -> Stroke:
    """One stroke through the pieces in order, the pen never lifted."""
    return np.concatenate(pieces)


def _form(*strokes: Stroke, optional: tuple[int, ...] = ()) -> Form:
    return tuple(strokes), tuple(i in optional for i in range(len(strokes)))


# ---------------------------------------------------------------- the forms
def _bumps(top: float, mid: float, bottom: float, w_top: float, w_bottom: float) -> tuple[Stroke, Stroke]:
    """The two bowls of a B, from the stem and back to it."""
    r_top, r_bottom = (mid - top) / 2, (bottom - mid) / 2
    upper = _join(_line((0, top), (w_top - r_top, top)), _arc(w_top - r_top, top + r_top, r_top, r_top, -90, 90),
                  _line((w_top - r_top, mid), (0, mid)))
    lower = _join(_line((0, mid), (w_bottom - r_bottom, mid)),
                  _arc(w_bottom - r_bottom, mid + r_bottom, r_bottom, r_bottom, -90, 90),
                  _line((w_bottom - r_bottom, bottom), (0, bottom)))
    return upper, lower


def _bowl(height: float, width: float) -> Stroke:
    """The bowl of a P or R: out from the top of the stem, round, back at `height`."""
    r = height / 2
    return _join(_line((0, 0), (width - r, 0)), _arc(width - r, r, r, r, -90, 90),
                 _line((width - r, height), (0, height)))


def _build_forms() -> dict[str, tuple[Form, ...]]:
    L, A, Bz, J, F = _line, _arc, _bezier, _join, _form
    stem = L((0, 0), (0, 1))
    upper_b, lower_b = _bumps(0, 0.47, 1, 0.5, 0.6)
    return {
        "A": (F(L((0, 1), (0.38, 0), (0.76, 1)), L((0.16, 0.62), (0.6, 0.62))),
              F(L((0.38, 0), (0, 1)), L((0.38, 0), (0.76, 1)), L((0.18, 0.58), (0.58, 0.58))),
              F(L((0, 1), (0.28, 0), (0.48, 0), (0.76, 1)), L((0.15, 0.6), (0.61, 0.6))),
              F(J(L((0, 1), (0, 0.4)), A(0.33, 0.4, 0.33, 0.4, 180, 360), L((0.66, 0.4), (0.66, 1))),
                L((0, 0.55), (0.66, 0.55)))),
        "B": (F(stem, upper_b, lower_b),
              F(J(L((0, 1), (0, 0)), upper_b[:-1], lower_b)),
              F(stem, *_bumps(0, 0.5, 1, 0.55, 0.55))),
        "C": (F(A(0.45, 0.5, 0.45, 0.5, -40, -320)),
              F(A(0.4, 0.5, 0.4, 0.5, -55, -305)),
              F(A(0.5, 0.5, 0.5, 0.5, -30, -330))),
        "D": (F(stem, J(L((0, 0), (0.25, 0)), A(0.25, 0.5, 0.45, 0.5, -90, 90), L((0.25, 1), (0, 1)))),
              F(J(L((0, 1), (0, 0)), A(0, 0.5, 0.7, 0.5, -90, 90))),
              F(stem, J(L((0, 0), (0.4, 0)), Bz((0.4, 0), (0.75, 0), (0.75, 1), (0.4, 1)), L((0.4, 1), (0, 1))))),
        "E": (F(stem, L((0, 0), (0.6, 0)), L((0, 0.5), (0.48, 0.5)), L((0, 1), (0.6, 1))),
              F(L((0.6, 0), (0, 0), (0, 1), (0.62, 1)), L((0, 0.48), (0.45, 0.48))),
              F(J(A(0.36, 0.26, 0.34, 0.26, -35, -270), A(0.38, 0.76, 0.38, 0.24, -90, -325)),
                L((0.12, 0.5), (0.42, 0.5)), optional=(1,))),
        "F": (F(stem, L((0, 0), (0.6, 0)), L((0, 0.48), (0.45, 0.48))),
              F(L((0.62, 0), (0, 0), (0, 1)), L((0, 0.5), (0.42, 0.5)))),
        "G": (F(J(A(0.45, 0.5, 0.45, 0.5, -50, -360), L((0.9, 0.5), (0.52, 0.5)))),
              F(J(A(0.45, 0.5, 0.45, 0.5, -50, -360), L((0.9, 0.5), (0.9, 1))), L((0.6, 0.55), (0.9, 0.55))),
              F(J(A(0.45, 0.5, 0.45, 0.5, -50, -325), L((0.82, 0.79), (0.85, 0.52)), L((0.85, 0.52), (0.58, 0.52)))),
              F(J(A(0.45, 0.5, 0.45, 0.5, -55, -330), L((0.84, 0.75), (0.87, 0.5))))),
        "H": (F(stem, L((0.65, 0), (0.65, 1)), L((0, 0.5), (0.65, 0.5))),
              F(stem, L((0, 0.52), (0.65, 0.48)), L((0.65, 0), (0.65, 1)))),
        "I": (F(stem),
              F(L((0.25, 0), (0.25, 1)), L((0, 0), (0.5, 0)), L((0, 1), (0.5, 1)))),
        "J": (F(J(L((0.6, 0), (0.6, 0.7)), A(0.33, 0.7, 0.27, 0.3, 0, 180))),
              F(J(L((0.6, 0), (0.6, 0.7)), A(0.33, 0.7, 0.27, 0.3, 0, 165)), L((0.3, 0), (0.9, 0))),
              F(J(L((0.55, 0), (0.55, 0.75)), A(0.35, 0.75, 0.2, 0.25, 0, 140)))),
        "K": (F(stem, L((0.6, 0), (0, 0.58)), L((0.17, 0.43), (0.64, 1))),
              F(stem, L((0.6, 0), (0.02, 0.5), (0.62, 1))),
              F(stem, L((0.6, 0), (0.05, 0.55)), L((0.2, 0.42), (0.62, 1)))),
        "L": (F(L((0, 0), (0, 1), (0.58, 1))),
              F(stem, L((0, 1), (0.55, 1)))),
        "M": (F(L((0, 1), (0, 0), (0.4, 0.62), (0.8, 0), (0.8, 1))),
              F(L((0, 1), (0.14, 0), (0.45, 0.7), (0.76, 0), (0.9, 1))),
              F(L((0, 1), (0, 0), (0.4, 1), (0.8, 0), (0.8, 1))),
              F(stem, L((0, 0), (0.4, 0.65), (0.8, 0)), L((0.8, 0), (0.8, 1)))),
        "N": (F(L((0, 1), (0, 0), (0.66, 1), (0.66, 0))),
              F(stem, L((0, 0), (0.66, 1)), L((0.66, 1), (0.66, 0)))),
        "O": (F(A(0.4, 0.5, 0.4, 0.5, -90, -450)),
              F(A(0.45, 0.5, 0.45, 0.5, -100, 275)),
              F(A(0.36, 0.5, 0.36, 0.5, -70, -440))),
        "P": (F(stem, _bowl(0.52, 0.6)),
              F(J(L((0, 1), (0, 0)), _bowl(0.55, 0.62)))),
        "Q": (F(A(0.42, 0.5, 0.42, 0.5, -90, -450), L((0.5, 0.7), (0.92, 1.05))),
              F(A(0.42, 0.5, 0.42, 0.5, -90, 272), L((0.58, 0.88), (0.86, 1.1))),
              F(A(0.42, 0.5, 0.42, 0.5, -90, -450), Bz((0.45, 0.8), (0.6, 0.9), (0.75, 1.02), (0.95, 1.0)))),
        "R": (F(stem, _bowl(0.52, 0.6), L((0.25, 0.52), (0.64, 1))),
              F(J(L((0, 1), (0, 0)), _bowl(0.52, 0.6), L((0, 0.52), (0.62, 1)))),
              F(stem, _bowl(0.5, 0.58), Bz((0.2, 0.5), (0.45, 0.6), (0.5, 0.9), (0.66, 1)))),
        "S": (F(J(A(0.36, 0.25, 0.32, 0.25, -15, -270), A(0.36, 0.75, 0.34, 0.25, -90, 155))),
              F(J(Bz((0.68, 0.12), (0.5, -0.07), (0.02, 0.0), (0.1, 0.3)),
                  Bz((0.1, 0.3), (0.18, 0.5), (0.68, 0.45), (0.68, 0.75)),
                  Bz((0.68, 0.75), (0.68, 1.05), (0.15, 1.03), (0.0, 0.85))))),
        "T": (F(L((0, 0), (0.8, 0)), L((0.4, 0), (0.4, 1))),
              F(L((0.4, 1), (0.4, 0)), L((0.02, 0.02), (0.8, 0)))),
        "U": (F(J(L((0, 0), (0, 0.62)), A(0.34, 0.62, 0.34, 0.38, 180, 0), L((0.68, 0.62), (0.68, 0)))),
              F(J(L((0, 0), (0, 0.62)), A(0.34, 0.62, 0.34, 0.38, 180, 0), L((0.68, 0.62), (0.68, 0))),
                L((0.68, 0.3), (0.68, 1))),
              F(J(L((0, 0), (0.02, 0.5)), Bz((0.02, 0.5), (0.05, 1.15), (0.68, 1.15), (0.7, 0.5)),
                  L((0.7, 0.5), (0.72, 0))))),
        "V": (F(L((0, 0), (0.38, 1), (0.76, 0))),
              F(L((0, 0), (0.38, 1)), L((0.38, 1), (0.78, 0)))),
        "W": (F(L((0, 0), (0.24, 1), (0.5, 0.3), (0.76, 1), (1.0, 0))),
              F(L((0, 0), (0.22, 1), (0.48, 0), (0.74, 1), (0.96, 0))),
              F(L((0, 0), (0.28, 1), (0.56, 0)), L((0.44, 0), (0.72, 1), (1.0, 0)))),
        "X": (F(L((0, 0), (0.7, 1)), L((0.7, 0), (0, 1))),
              F(L((0.05, 0), (0.65, 1)), L((0.68, 0.02), (0.02, 0.98)))),
        "Y": (F(L((0, 0), (0.38, 0.5), (0.76, 0)), L((0.38, 0.5), (0.38, 1))),
              F(L((0.76, 0), (0.12, 1)), L((0, 0), (0.43, 0.5))),
              F(L((0, 0), (0.38, 0.48)), L((0.76, 0), (0.38, 0.48), (0.38, 1)))),
        "Z": (F(L((0, 0), (0.68, 0), (0, 1), (0.72, 1))),
              F(L((0, 0), (0.68, 0), (0, 1), (0.72, 1)), L((0.14, 0.5), (0.56, 0.5))),
              F(L((0.02, 0.02), (0.68, 0)), L((0.68, 0), (0, 1)), L((0, 1), (0.72, 1)))),
    }


FORMS: dict[str, tuple[Form, ...]] = _build_forms()
