"""The web app: the JSON API (and, next, the dashboards) over the results."""

from opwatch.web.app import create_app

__all__ = ["create_app"]
