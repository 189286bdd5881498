"""The emulator's web dashboard at ``/_emulator/ui``: state, live request log, faults, actions.

Server-rendered from Jinja2 templates, with its stylesheet and script shipped in the package
(no CDN: it works offline). [dashboard_routes][aiospaces.emulator.dashboard.routes.dashboard_routes]
binds the pages to an emulator; [views][aiospaces.emulator.dashboard.views] turns the vendors'
snapshots into what the pages show; [forms][aiospaces.emulator.dashboard.forms] checks form
posts (same-origin only) and their fields.
"""

from aiospaces.emulator.dashboard.routes import dashboard_routes as dashboard_routes

__all__ = ["dashboard_routes"]
