"""The console's pages, one router module per area; :data:`PAGES` names them in mounting order and
:data:`NAV` is the menu (label, path, the role a viewer needs to see it), grouped for editors and for data
scientists. Adding a page is a module here, a line in :data:`PAGES`, and a menu entry if it has one."""

from __future__ import annotations

from newsdesk.auth import Role

__all__ = ["NAV", "PAGES"]

PAGES: list[str] = [
    "newsdesk.web.pages.signin",
    "newsdesk.web.pages.home",
    "newsdesk.web.pages.search",
    "newsdesk.web.pages.articles",
    "newsdesk.web.pages.products",
    "newsdesk.web.pages.models",
    "newsdesk.web.pages.governance",
]
"""Modules whose ``router`` the app mounts when ``settings.web.enabled``."""

NAV: list[tuple[str, list[tuple[str, str, Role]]]] = [
    (
        "Newsroom",
        [
            ("Home", "/", Role.READER),
            ("Search", "/console/search", Role.READER),
            ("Stories", "/console/stories", Role.READER),
            ("Trends", "/console/trends", Role.READER),
            ("Entities", "/console/entities", Role.READER),
            ("Experiments", "/console/experiments", Role.EDITOR),
            ("Feedback", "/console/feedback", Role.EDITOR),
        ],
    ),
    (
        "Models",
        [
            ("Models", "/console/models", Role.ADMIN),
            ("Monitoring", "/console/monitor", Role.ADMIN),
            ("Predictions", "/console/predictions", Role.ADMIN),
            ("Audit", "/console/audit", Role.ADMIN),
        ],
    ),
]
