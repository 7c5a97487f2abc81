"""One router per product; :data:`newsdesk.api.app.ROUTERS` lists the ones the app mounts."""
