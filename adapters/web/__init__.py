"""The web pages: a live presenter page for the projector and a results overview, served by the bot itself.

- :mod:`.server`: the aiohttp server, a service of ``dilemmabot run`` (:class:`WebService`)
- :mod:`.links`: the capability links, one per chat and page
- :mod:`.stage` and :mod:`.report`: what the pages show, from the engine and the export (no I/O)
- :mod:`.pages`: the HTML (Jinja2 templates in ``templates/``; script and styles in ``static/``)
- :mod:`.live`: the presenter pages' live updates (server-sent events)
"""

from adapters.web.server import WebService

__all__ = ["WebService"]
