"""Errors the command line turns into one English line and exit status 2."""


class CommandError(Exception):
    """A user-facing failure of a command (bad argument, missing set-up, port taken)."""
