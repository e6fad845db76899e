"""The web UI: FastAPI routes that call store and report functions, nothing else (see DESIGN.md)."""

from echoscope.web.app import create_app

__all__ = ["create_app"]
