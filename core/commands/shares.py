"""`main.py shares list|revoke|watch|...` (implemented in share.py)."""

from .share import register_shares as register

__all__ = ["register"]
