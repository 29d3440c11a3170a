"""What avgan's web apps (the rating app, the demo page) refuse before any route runs.

- A Host header naming none of the served hosts: 421. A page on another site whose
  name is made to resolve to 127.0.0.1 (DNS rebinding) reaches the server with its own
  name in Host, so the browser's same-origin rule does not stop it; the name does.
- A POST whose Origin (or, without one, its Referer) is another site's: 403.
- A POST whose `csrf_token` field is not its session's token: 403. The token is 32
  random bytes in Flask's signed session cookie (SameSite=Lax), written into each form
  by the template global `csrf_token()`; another site can neither read it nor set it.
- A body over the app's cap (MAX_BODY_BYTES for the rating app): 413, from its
  Content-Length, before the body is read. `avgan.humaneval.server` gives waitress the
  same cap, so the body is not even buffered there.

Clients that send neither Origin nor Referer (curl, scripts) pass the origin check; the
token still applies to them. What differs between the apps (the cap, the cookie's name,
the wording of the refusals) is a `Policy`; the rating app's is RATING.
"""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import secrets
import urllib.parse
from collections.abc import Iterable

from flask import Flask, abort, request, session
from werkzeug.exceptions import RequestEntityTooLarge

# A set of scores is rater + set id + token + one "score-<32 hex>=N" per picture:
# ~1 KB for a set of 20 pictures. 16 KiB leaves room for sets of ~300.
MAX_BODY_BYTES = 16 * 1024
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")
TOKEN_FIELD = "csrf_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclasses.dataclass(frozen=True)
class Policy:
    """What one app's refusals say and allow (the checks themselves are the same)."""

    max_body_bytes: int  # bodies over this are refused (413)
    cookie_name: str  # the session cookie that holds the form token
    too_large: str  # the 413 message
    users: str  # who reaches the app, in the 421 message ("raters")
    command: str  # the command that takes --allowed_host, in the 421 message
    cross_site: str  # the end of the 403 message for another site's POST
    stale_token: str  # the 403 message for a missing or wrong form token


RATING = Policy(
    max_body_bytes=MAX_BODY_BYTES,
    cookie_name="avgan_rating",
    too_large=f"Request body over {MAX_BODY_BYTES} bytes refused: a set of scores is about 1 KB.",
    users="raters",
    command="serve",
    cross_site="scores are accepted only from this app's own rating page.",
    stale_token="Form token missing or expired: reload the rating page and submit the set again.",
)


def hostname(host: str) -> str:
    """The name of a Host header or --host value: lower case, no port, no brackets.

    'Example.org:8000' -> 'example.org', '[::1]:8000' -> '::1', '::1' -> '::1'.
    """
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:  # name:port (a bare IPv6 address has several colons)
        host = host.split(":")[0]
    return host.rstrip(".")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    host = hostname(host)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def page_url(hosts: list[str], port: int) -> str:
    """The URL a page is announced at: the first of `served_hosts` (the bound address,
    or the first --allowed_host for 0.0.0.0 / ::), an IPv6 address in brackets."""
    host = hosts[0]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def served_hosts(bind_host: str, extra: Iterable[str] = ()) -> list[str]:
    """The Host names `serve --host BIND_HOST [--allowed_host NAME ...]` answers.

    The bound address, plus localhost, 127.0.0.1 and ::1 when it is a loopback address
    or every address (0.0.0.0, ::), plus `extra` (a reverse proxy's public name).

    Raises:
        ValueError: an --allowed_host that is not a host name, or a wildcard --host
            without any --allowed_host (no name a rater could type would be served).
    """
    hosts = []
    for name in extra:
        if not name.strip() or any(c in name for c in "/@?# "):
            raise ValueError(f"--allowed_host {name!r}: give a host name, e.g. ratings.example.org")
        hosts.append(hostname(name))
    wildcard = hostname(bind_host) in WILDCARD_HOSTS
    if wildcard and not hosts:
        raise ValueError(
            f"--host {bind_host!r} listens on every address: name the host its users will "
            "type with --allowed_host NAME (repeatable)"
        )
    if not wildcard:
        hosts.insert(0, hostname(bind_host))
    if wildcard or is_loopback(bind_host):
        hosts += LOOPBACK_HOSTS
    return list(dict.fromkeys(hosts))


def csrf_token() -> str:
    """The session's form token, created on first use (a template global)."""
    if TOKEN_FIELD not in session:
        session[TOKEN_FIELD] = secrets.token_urlsafe(32)
    return session[TOKEN_FIELD]


def _authority(netloc: str) -> str:
    """host[:port] in lower case, without a default port (browsers omit it in Origin)."""
    netloc = netloc.lower()
    for default in (":80", ":443"):
        if netloc.endswith(default):
            return netloc[: -len(default)]
    return netloc


def _source() -> str | None:
    """Where a request says it comes from: Origin, else Referer, else None."""
    origin = request.headers.get("Origin")
    return origin if origin is not None else request.headers.get("Referer")


def install(app: Flask, allowed_hosts: Iterable[str], policy: Policy = RATING) -> None:
    """Adds the checks of the module docstring to `app` (one before_request hook).

    Sets SECRET_KEY (random, per process: a restart asks open pages to reload),
    MAX_CONTENT_LENGTH, the session cookie's name and SameSite and the `csrf_token`
    template global.

    Args:
        policy: the cap and the wording of the refusals; default the rating app's.
    """
    allowed = frozenset(hostname(h) for h in allowed_hosts)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        MAX_CONTENT_LENGTH=policy.max_body_bytes,
        SESSION_COOKIE_NAME=policy.cookie_name,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def refuse():
        if hostname(request.host) not in allowed:
            abort(
                421,
                f"Host {request.host!r} is not served here. If {policy.users} reach this app "
                f"under that name (a reverse proxy), start {policy.command} with "
                "--allowed_host NAME.",
            )
        if request.method in SAFE_METHODS:
            return
        if (request.content_length or 0) > policy.max_body_bytes:
            abort(413, policy.too_large)
        source = _source()
        if source is not None:
            netloc = urllib.parse.urlsplit(source).netloc
            if _authority(netloc) != _authority(request.host):
                abort(
                    403,
                    f"Cross-site POST refused (from {source!r}): {policy.cross_site}",
                )
        sent = request.form.get(TOKEN_FIELD, "").encode()
        expected = session.get(TOKEN_FIELD, "").encode()
        if not expected or not hmac.compare_digest(sent, expected):
            abort(403, policy.stale_token)

    @app.errorhandler(RequestEntityTooLarge)
    def body_too_large(e: RequestEntityTooLarge):
        # Also raised by Werkzeug when a body without Content-Length (chunked) outgrows
        # MAX_CONTENT_LENGTH while read: same message.
        e.description = policy.too_large
        return e
