"""The demo branch: a deterministic synthetic branch (`generate`), written set-based to
the database (`write`) and exported as import files (`export`)."""

from .generate import DemoConfig, DemoData, generate

__all__ = ["DemoConfig", "DemoData", "generate"]
