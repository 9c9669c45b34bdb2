"""Errors raised for bad input: each names the thing, where it is, and the valid choices."""


class SimInputError(ValueError):
    """Bad scenario data or configuration."""

    def __init__(self, where: str, message: str, choices=None):
        self.where = where
        self.choices = sorted(choices) if choices is not None else None
        text = f"{where}: {message}"
        if self.choices is not None:
            shown = ", ".join(map(str, self.choices[:40]))
            more = f" ... ({len(self.choices)} in all)" if len(self.choices) > 40 else ""
            text += f" (valid choices: {shown}{more})"
        super().__init__(text)


class ScenarioError(SimInputError):
    """A scenario data file is unreadable, malformed or inconsistent."""


class ConfigError(SimInputError):
    """A configuration key or value is wrong."""


class InvariantError(RuntimeError):
    """A model invariant (mass balance, non-negative stock, money conservation) broke."""
