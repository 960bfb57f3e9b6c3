"""Durable state: one SQLite database (WAL) with a single writer thread and a small reader pool."""

from .db import Database

__all__ = ["Database"]
