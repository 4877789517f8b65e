"""The exception types the CLI and GUI turn into a clear message instead of a traceback."""


class PoseappError(Exception):
    """A failure the user can act on: bad input, missing weights, a corrupt file."""


class MissingWeightsError(PoseappError):
    """A model's weights cannot be had here: not in the source folder, a download that failed,
    was cancelled or came corrupt, a trained model whose file is gone. The window answers it by
    offering to import a folder of upstream files."""
