"""The one exception type the CLI and GUI turn into a clear message instead of a traceback."""


class PoseappError(Exception):
    """A failure the user can act on: bad input, missing weights, a corrupt file."""
