"""The demo: a packaged example project (and, with the ETL, synthetic telemetry for it)."""

from importlib import resources
from pathlib import Path

DEMO_SLUG = "opwatch-demo"


def demo_config_dir() -> Path:
    """The folder holding the demo project, laid out like metric-hub (opmon/, definitions/)."""
    return Path(str(resources.files("opwatch.demo") / "config"))


def demo_project_path() -> Path:
    """The demo project's TOML file."""
    return demo_config_dir() / "opmon" / f"{DEMO_SLUG}.toml"
