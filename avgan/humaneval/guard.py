"""What the rating app refuses before any route runs.

- A Host header naming none of the served hosts: 421. A page on another site whose
  name is made to resolve to 127.0.0.1 (DNS rebinding) reaches the server with its own
  name in Host, so the browser's same-origin rule does not stop it; the name does.
- A POST whose Origin (or, without one, its Referer) is another site's: 403.
- A POST whose `csrf_token` field is not its session's token: 403. The token is 32
  random bytes in Flask's signed session cookie (SameSite=Lax), written into each form
  by the template global `csrf_token()`; another site can neither read it nor set it.
- A body over MAX_BODY_BYTES: 413, from its Content-Length, before the body is read.
  `avgan.humaneval.server` gives waitress the same cap, so the body is not even
  buffered there.

Clients that send neither Origin nor Referer (curl, scripts) pass the origin check; the
token still applies to them.
"""

from __future__ import annotations

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
            f"--host {bind_host!r} listens on every address: name the host raters will "
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


def install(app: Flask, allowed_hosts: Iterable[str]) -> None:
    """Adds the checks of the module docstring to `app` (one before_request hook).

    Sets SECRET_KEY (random, per process: a restart asks open pages to reload),
    MAX_CONTENT_LENGTH, the session cookie's SameSite and the `csrf_token` template
    global.
    """
    allowed = frozenset(hostname(h) for h in allowed_hosts)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SESSION_COOKIE_NAME="avgan_rating",
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.jinja_env.globals["csrf_token"] = csrf_token
    too_large = f"Request body over {MAX_BODY_BYTES} bytes refused: a set of scores is about 1 KB."

    @app.before_request
    def refuse():
        if hostname(request.host) not in allowed:
            abort(
                421,
                f"Host {request.host!r} is not served here. If raters reach this app under "
                "that name (a reverse proxy), start serve with --allowed_host NAME.",
            )
        if request.method in SAFE_METHODS:
            return
        if (request.content_length or 0) > MAX_BODY_BYTES:
            abort(413, too_large)
        source = _source()
        if source is not None:
            netloc = urllib.parse.urlsplit(source).netloc
            if _authority(netloc) != _authority(request.host):
                abort(
                    403,
                    f"Cross-site POST refused (from {source!r}): scores are accepted "
                    "only from this app's own rating page.",
                )
        sent = request.form.get(TOKEN_FIELD, "").encode()
        expected = session.get(TOKEN_FIELD, "").encode()
        if not expected or not hmac.compare_digest(sent, expected):
            abort(
                403,
                "Form token missing or expired: reload the rating page and submit the set again.",
            )

    @app.errorhandler(RequestEntityTooLarge)
    def body_too_large(e: RequestEntityTooLarge):
        # Also raised by Werkzeug when a body without Content-Length (chunked) outgrows
        # MAX_CONTENT_LENGTH while read: same message.
        e.description = too_large
        return e
