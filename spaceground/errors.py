"""Exceptions and warnings.

Every message says what was given, where (file, line, key path), what is wrong
and what to do. The command line prints these messages without a traceback.
"""


class SpacegroundError(Exception):
    """Base class of every error spaceground raises on bad input."""


class InputError(SpacegroundError, ValueError):
    """A value given by the user is malformed or out of range."""


class TLEFormatError(InputError):
    """A two-line element set cannot be read.

    Attributes
    ----------
    source : str
        File name (or ``"<string>"``) the element set came from.
    line : int
        1-based line number of the offending line.
    """

    def __init__(self, source, line, message):
        self.source = source
        self.line = line
        super().__init__(f"{source}, line {line}: {message}")


class SelectionError(InputError):
    """A satellite or station selection matches nothing or is ambiguous."""


class StaleElementsError(InputError):
    """Element sets are too far from the span to be trusted (override with allow_stale)."""


class ExcludedSatelliteWarning(UserWarning):
    """A satellite was left out because SGP4 fails for it within the span."""


class StaleElementsWarning(UserWarning):
    """An element set is a few days away from the span start; accuracy degrades."""


class EarthOrientationWarning(UserWarning):
    """The span lies beyond the bundled Earth-orientation (polar motion) table."""


class BoundWarning(UserWarning):
    """The LP bound could not be given for a run (the reason says why); ``value_bound`` is left out."""
