"""What a typed score means, exactly: the one rule shared by scoring, the planner and the crosswalk.

Its own module so that the crosswalk (which the rulebook parses) needs no scoring, and the
rulebook → crosswalk → scoring → rulebook cycle cannot come back.
"""

from __future__ import annotations

from fractions import Fraction


def exact(x: float | Fraction) -> Fraction:
    """The fraction a score or rulebook number stands for: 10.25 → 41/4, 13.666667 → 41/3, 0.1 → 1/10.

    Scores are typed with a few decimals and rulebook levels are simple fractions of a maximum, so
    the nearest fraction with a small denominator is the number that was meant; float noise such as
    600.9999999999999 (a float sum of one-decimal scores) snaps back to 601.
    """
    if isinstance(x, Fraction):
        return x
    f = Fraction(x).limit_denominator(10_000)
    if abs(float(f) - x) > 1e-6:
        f = Fraction(str(round(x, 6)))
    return f
