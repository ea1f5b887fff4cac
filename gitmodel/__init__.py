"""gitmodel: version, ship, deploy, monitor and roll back ML models with Git."""

__version__ = "0.1.0"
