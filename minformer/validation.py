"""Checks of the numbers a user gives (flags, options): each refusal is a `UserError` that names the flag."""

import math

from .errors import UserError


def check_positive_int(value: object, flag: str) -> None:
    """Refuse a count that is not a positive integer (0, negatives, floats, NaN), naming its flag."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{flag} must be a positive integer, got {value!r}.")


def check_positive_float(value: object, flag: str) -> None:
    """Refuse a rate that is not a finite positive number (0, negatives, NaN, inf), naming its flag."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise UserError(f"{flag} must be a finite positive number, got {value!r}.")
