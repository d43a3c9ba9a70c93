"""The project's fake Apply (Apply for teacher training's Register API). See README.md."""

from .server import FakeApply

__all__ = ["FakeApply"]
