"""The web console: pages for editors and data scientists, served by ``newsdesk serve`` at ``/``.

- :mod:`newsdesk.web.render` is the one Jinja2 environment (templates in ``newsdesk/web/templates``); model
  cards and monitoring reports render through it too, so it imports nothing above the standard library and
  Jinja2;
- :mod:`newsdesk.web.session` signs the session cookie and checks the CSRF token of every form that writes;
- ``newsdesk.web.pages`` holds the routers, one module per area, mounted by :func:`newsdesk.api.create_app`.

No build step: the pages are plain HTML with a stylesheet and one small script (``static/console.js``) that
only enhances them; every page and form works without it.
"""
