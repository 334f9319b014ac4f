"""`main.py serve`: the share server, headless (implemented in share.py)."""

from .share import register_serve as register

__all__ = ["register"]
