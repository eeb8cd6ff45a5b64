"""Human-friendly durations for the scheduler's configuration."""

import re

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def parse_duration(text):
    """Parse a human duration into whole seconds.

    The text is one or more parts of the form <digits><unit>, largest unit first,
    optionally separated by single spaces. Units are d (days), h (hours), m (minutes)
    and s (seconds); upper-case units are accepted. Surrounding whitespace is ignored.

        parse_duration("1h30m")  == 5400
        parse_duration("2d 4h")  == 187200
        parse_duration("45s")    == 45
        parse_duration("90m")    == 5400
        parse_duration("300")    == 300   # a bare number is seconds

    Raises ValueError if the text is empty, has an unknown unit, repeats a unit,
    gives units out of order (e.g. "30m1h"), or has anything else in it
    (e.g. "1.5h", "-3m", "h").
    """
    raise NotImplementedError


def format_duration(seconds):
    """Format whole seconds the way parse_duration reads them, e.g. 5400 -> "1h30m"."""
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
