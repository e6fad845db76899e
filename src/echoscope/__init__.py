"""echoscope: archive, search and cross-reference Telegram channels, with every claim tied to evidence."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("echoscope")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
