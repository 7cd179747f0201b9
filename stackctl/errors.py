"""Errors stackctl reports as a clean message and exit status 2 (bad input), never a traceback."""


class InputError(Exception):
    """The user's input (project, stack name, stack file) is unusable; the message says why."""
