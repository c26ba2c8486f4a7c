"""Errors the user can fix: shown as one line naming the field, the value and what is allowed."""


class ConfigError(ValueError):
    """A configuration value is not allowed. The message is one readable line."""


class UserError(Exception):
    """An error in what the user asked for: the CLI prints it as one line, exit status 2."""
