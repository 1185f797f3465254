"""The web pages, served by the bot's own process: an aiohttp server that ``dilemmabot run`` runs as a service.

Routes (each ``{token}`` is a chat's capability link, see :mod:`adapters.web.links`):

- ``GET /present/{token}``: the presenter page; ``GET /present/{token}/events``: its live updates (server-sent
  events: the current state on connect, then each change)
- ``GET /report/{token}``: the results overview; ``GET /report/{token}/results.csv`` and ``.json``: its downloads,
  the same as ``dilemmabot export --chat``
- ``GET /static/...``: the presenter page's script, the style sheets and the icon

The service is a read-side adapter: it listens to what the runner committed (:meth:`Live.changed`) and decides
nothing, except the links it issues when the engine asks for one (:meth:`WebService.link`).  Unknown tokens get a
404, and a client that keeps guessing gets 429 for a while.  Every response carries a strict Content-Security-Policy
(no inline script or style), ``nosniff`` and ``Referrer-Policy: no-referrer``; pages behind a token are never
cached.  There is no access log, so no token reaches a log.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from pathlib import Path

from aiohttp import web

from adapters.web import pages, report, stage
from adapters.web.links import Links
from adapters.web.live import Live
from bot.effects import LinkRequested, Page, Reply
from bot.export import collect, to_csv, to_json
from bot.pseudonym import Pseudonymizer
from bot.ratelimit import RateLimiter
from bot.richtext import RichBuilder
from bot.runner import Runner

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Unknown tokens per client: 20 at once, then one every 30 s; beyond that every token gets 429 (no guessing).
MISS_BURST, MISS_RATE, RETRY_AFTER = 20, 1 / 30, "30"
DOWNLOADS = {"csv": ("text/csv", to_csv), "json": ("application/json", to_json)}


def client_address(request: web.Request) -> str:
    """The client's address: the peer's, or the one a reverse proxy on this machine appended to X-Forwarded-For."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For")
    try:
        loopback = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        loopback = False
    if forwarded and loopback:
        return forwarded.rsplit(",", 1)[-1].strip()
    return peer


async def _security_headers(request: web.BaseRequest, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)
    response.headers.setdefault("Cache-Control", "no-cache" if request.path.startswith("/static/") else "no-store")


class WebService:
    """The web server as a service of ``dilemmabot run``: entering it binds ``address`` and attaches to the runner."""

    def __init__(self, runner: Runner, pseudonyms: Pseudonymizer, address: tuple[str, int],
                 public_url: str | None = None):
        self.runner = runner
        self.pseudonyms = pseudonyms
        self.address = address
        self.public_url = public_url
        self.url = ""  # the base of every link, known once bound
        self.links = Links(runner.store, pseudonyms)
        self.live = Live(runner, pages.stage)
        self._misses = RateLimiter(rate=MISS_RATE, burst=MISS_BURST)
        self._app_runner: web.AppRunner | None = None

    # ---- the service --------------------------------------------------------

    async def __aenter__(self) -> WebService:
        app = web.Application(client_max_size=1024)  # the pages take no request bodies
        app.router.add_get("/present/{token}", self.present_page)
        app.router.add_get("/present/{token}/events", self.present_events)
        app.router.add_get("/report/{token}", self.report_page)
        app.router.add_get("/report/{token}/results.{format:csv|json}", self.report_download)
        app.router.add_static("/static/", STATIC)
        app.on_response_prepare.append(_security_headers)
        self._app_runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5)
        await self._app_runner.setup()
        host, port = self.address
        await web.TCPSite(self._app_runner, host, port).start()
        bound = self._app_runner.addresses[0][1]
        self.url = (self.public_url or f"http://{f'[{host}]' if ':' in host else host}:{bound}").rstrip("/")
        self.runner.pages = self
        self.runner.listeners.append(self.live.changed)
        self.live.start()
        log.info("web pages on %s (in a group chat, /present gives its presenter page)", self.url)
        if not self.public_url and host in ("0.0.0.0", "::"):
            log.warning("DILEMMABOT_WEB_URL is not set: links name %s, which no browser can open", self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.live.changed in self.runner.listeners:
            self.runner.listeners.remove(self.live.changed)
        if self.runner.pages is self:
            self.runner.pages = None
        self.live.close()  # the open streams end, and their pages reconnect to the next start
        if self._app_runner is not None:
            await self._app_runner.cleanup()
            self._app_runner = None

    async def serve(self) -> None:
        """The server runs in the background from ``async with`` on: wait until cancelled."""
        await asyncio.Event().wait()

    # ---- links --------------------------------------------------------------

    async def link(self, request: LinkRequested) -> Reply:
        """Issue or reuse the chat's link to the page (the runner's :class:`~bot.runner.Pages`)."""
        issued = await self.links.issue(request.chat, request.page, request.renew, self.runner.clock())
        if issued.revoked is not None:
            self.live.revoke(issued.revoked)
        chat = self.runner.engine.chat(request.chat)
        text = RichBuilder().text(chat.say(f"link.{request.page}", url=f"{self.url}/{request.page}/{issued.token}"))
        text.line(2).italic(chat.say("link.shared", command=request.page))
        if issued.revoked is not None:
            text.text(" ").italic(chat.say("link.renewed"))
        return Reply(request.chat, request.user, text.build())

    async def _chat(self, request: web.Request, page: Page) -> str:
        """The chat whose link to ``page`` the request names; 404 for a wrong one, 429 for a client that guesses."""
        address, now = client_address(request), self.runner.clock()
        if not self._misses.allows(address, now):
            raise web.HTTPTooManyRequests(text="Too many wrong links; try again later.",
                                          headers={"Retry-After": RETRY_AFTER})
        chat = await self.links.resolve(request.match_info["token"], page)
        if chat is None:
            self._misses.check(address, now)
            raise web.HTTPNotFound(text="Not found.")
        return chat

    # ---- the presenter page -------------------------------------------------

    async def present_page(self, request: web.Request) -> web.Response:
        chat = await self._chat(request, "present")
        await self.runner.recall(chat)
        shown, votes = stage.build(self.runner.engine, chat)
        return web.Response(text=pages.present(shown, votes, request.match_info["token"]), content_type="text/html")

    async def present_events(self, request: web.Request) -> web.StreamResponse:
        """The current stage at once, then each change (:class:`Live`), until the page goes, its link is revoked or
        the bot stops."""
        chat = await self._chat(request, "present")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"})
        await response.prepare(request)
        await self.live.open(chat)  # then at once (no await between) subscribe
        subscription, first = self.live.subscribe(chat, self.links.digest(request.match_info["token"]), response,
                                                  request)
        try:
            await subscription.write(first)
            await subscription.done.wait()
        finally:
            self.live.leave(chat, subscription)
        return response

    # ---- the report ---------------------------------------------------------

    async def report_page(self, request: web.Request) -> web.Response:
        chat = await self._chat(request, "report")
        engine = self.runner.engine
        export = await collect(self.runner.store, engine.library, self.pseudonyms, chat=chat)
        settings = engine.chat(chat)
        rounds = report.build(export, engine.library, settings)
        return web.Response(text=pages.report(rounds, settings.lang, settings.prefix, request.match_info["token"]),
                            content_type="text/html")

    async def report_download(self, request: web.Request) -> web.Response:
        chat = await self._chat(request, "report")
        content_type, encode = DOWNLOADS[request.match_info["format"]]
        export = await collect(self.runner.store, self.runner.engine.library, self.pseudonyms, chat=chat)
        name = f"dilemmabot-results.{request.match_info['format']}"
        return web.Response(text=encode(export), content_type=content_type, charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
