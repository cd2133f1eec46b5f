"""The demo network: a realistic, deterministic network east of Paris to try Comptoir with (``flask demo``)."""

from server.demo.loader import DemoRefused, load_demo

__all__ = ["DemoRefused", "load_demo"]
