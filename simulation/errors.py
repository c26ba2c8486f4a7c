"""Errors the user can fix: each is shown as one line, never as a traceback.

The ground floor of the package: every wing may raise these. The helpers that turn a
pydantic ``ValidationError`` into that line live in :mod:`simulation.config.messages`.
"""


class ConfigError(ValueError):
    """A configuration value is not allowed. The message is one readable line."""


class UserError(Exception):
    """An error in what the user asked for: the CLI prints it as one line, exit status 2."""
