"""A fake DQT of our own, faithful to what we know of the real one (see README.md here)."""

from .server import FakeDqt
from .state import FakeDqtState

__all__ = ["FakeDqt", "FakeDqtState"]
