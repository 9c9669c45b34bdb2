"""Errors raised for bad input: each names the thing, where it is, and the valid choices."""

import difflib


class SimInputError(ValueError):
    """Bad scenario data or configuration.

    ``where`` is the file and line (``path/to/table.csv:12``) or the config key
    (``policies.epr.fee_eur_t``); ``choices`` the valid values, if there is a closed set.
    ``value`` (the bad value, when there is one) is matched against the choices to suggest
    the likely intended one.
    """

    def __init__(self, where: str, message: str, choices=None, value=None):
        self.where = where
        self.choices = sorted(map(str, choices)) if choices is not None else None
        text = f"{where}: {message}"
        if self.choices is not None:
            if value is not None:
                close = difflib.get_close_matches(str(value), self.choices, n=3, cutoff=0.6)
                if close:
                    text += f"; did you mean {' or '.join(repr(c) for c in close)}?"
            if not self.choices:
                text += " (no valid choices: none are defined)"
            else:
                shown = ", ".join(self.choices[:40])
                more = f" ... ({len(self.choices)} in all)" if len(self.choices) > 40 else ""
                text += f" (valid choices: {shown}{more})"
        super().__init__(text)


class ScenarioError(SimInputError):
    """A scenario data file is unreadable, malformed or inconsistent."""


class ConfigError(SimInputError):
    """A configuration key or value is wrong."""


class InvariantError(RuntimeError):
    """A model invariant (mass balance, non-negative stock, money conservation) broke."""
