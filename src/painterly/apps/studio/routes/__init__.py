"""The studio's HTTP handlers, grouped by what they serve; server.build_app puts their routes together.

These modules import Starlette at their top, so only build_app imports them, after it has checked that the
studio extra is installed (painterly without it must still import)."""
