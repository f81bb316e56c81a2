"""The one exception type for mistakes the user can fix (bad file, bad option)."""


class PainterlyError(Exception):
    """A problem with the user's input; the CLI prints its message as one line and exits 2.

    Programming errors are left to raise normally so that they are not mistaken for bad input.
    """


class PainterlyWarning(UserWarning):
    """Something the user should know that did not stop the run (e.g. a numerical fault that was recovered)."""
