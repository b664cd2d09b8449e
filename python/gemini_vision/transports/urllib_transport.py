"""The standard-library transport (X2): the zero-dependency default.

Built on ``http.client`` rather than ``urllib.request`` so that each failure
can be told apart precisely -- the retry policy's most important question is
"was anything sent?":

* connecting (DNS, TCP, proxy ``CONNECT``, TLS handshake) is a separate step;
  any failure there, a timeout included, is ``ConnectError`` (nothing sent);
* a failure while sending or waiting for the status line is
  ``RequestTimeoutError`` (timeout) or ``StreamInterruptedError`` (the server
  closed or reset the connection: the request may have been processed);
* a failure while reading the body, or a body shorter than its
  ``Content-Length``, is ``RequestTimeoutError`` or ``StreamInterruptedError``.

Bodies are streamed with ``read1``, which returns whatever has arrived (up to
``chunk_size``), so server-sent events reach the caller as they come. Proxies
come from the usual environment variables (``https_proxy``, ``no_proxy``...)
unless ``trust_env=False``. Redirects: see ``_redirect``. Each request uses
its own connection (no pooling; use the httpx transport for that).

>>> transport = UrllibTransport(timeout=30.0)
>>> transport
UrllibTransport(timeout=30.0, trust_env=True)
"""

from __future__ import annotations

import base64
import http.client
import ssl
import urllib.request
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from gemini_vision.errors import ConnectError, RequestTimeoutError, StreamInterruptedError
from gemini_vision.transports._redirect import MAX_REDIRECTS, check_url, redirected_request
from gemini_vision.transports.base import StreamingResponse
from gemini_vision.wire.http import HttpRequest, HttpResponse, parse_header_int, redact_url

__all__ = ["UrllibTransport"]

_NO_BODY_STATUSES = frozenset({204, 304})


class UrllibTransport:
    """Send requests with the standard library (``http.client``), streaming when asked.

    Args:
        timeout: default seconds for connecting and for each wait for data;
            ``None`` waits forever. A per-request ``timeout`` overrides it.
        ssl_context: for https; default ``ssl.create_default_context()``.
        trust_env: read proxy settings from the environment.
        follow_redirects: follow redirects of GET and HEAD requests.
        chunk_size: the most bytes a streamed chunk holds.
    """

    def __init__(
        self,
        *,
        timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        trust_env: bool = True,
        follow_redirects: bool = True,
        chunk_size: int = 64 * 1024,
    ) -> None:
        self.timeout = timeout
        self.trust_env = trust_env
        self.follow_redirects = follow_redirects
        self.chunk_size = chunk_size
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        return f"UrllibTransport(timeout={self.timeout!r}, trust_env={self.trust_env!r})"

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """Send ``request`` and read the whole response."""
        with self.stream(request, timeout=timeout) as streaming:
            return streaming.to_response()

    def stream(self, request: HttpRequest, *, timeout: float | None = None) -> StreamingResponse:
        """Send ``request``; the body is read as the caller iterates."""
        wait = self.timeout if timeout is None else timeout
        for _ in range(MAX_REDIRECTS + 1):
            connection, response = self._exchange(request, wait)
            follow = (
                redirected_request(request, response.status, response.getheader("location"))
                if self.follow_redirects
                else None
            )
            if follow is None:
                break
            response.close()
            connection.close()
            request = follow
        chunks = self._chunks(request, response, wait)

        def close() -> None:
            response.close()
            connection.close()

        return StreamingResponse(response.status, response.getheaders(), chunks, close)

    # --- one exchange ------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _connection(
        self, scheme: str, host: str, port: int, timeout: float | None
    ) -> tuple[http.client.HTTPConnection, dict[str, str] | None]:
        """A connection (not yet connected) and, for a plain-HTTP proxy, its auth headers.

        The second item is None when requests go straight to the host (or
        through a ``CONNECT`` tunnel); a dict when each request goes to an HTTP
        proxy with the absolute URL as target.
        """
        proxy = self._proxy_for(scheme, host)
        https = scheme == "https"
        if proxy is None:
            if https:
                return http.client.HTTPSConnection(
                    host, port, timeout=timeout, context=self._context()
                ), None
            return http.client.HTTPConnection(host, port, timeout=timeout), None
        proxy_scheme, proxy_host, proxy_port = check_url(proxy)
        parts = urlsplit(proxy)
        auth: dict[str, str] = {}
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            auth["Proxy-Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        connection: http.client.HTTPConnection
        if proxy_scheme == "https":
            connection = http.client.HTTPSConnection(
                proxy_host, proxy_port, timeout=timeout, context=self._context()
            )
        else:
            connection = http.client.HTTPConnection(proxy_host, proxy_port, timeout=timeout)
        if https:  # tunnel: TLS end to end, the proxy sees only CONNECT
            connection.set_tunnel(host, port, headers=auth)
            return connection, None
        return connection, auth

    def _proxy_for(self, scheme: str, host: str) -> str | None:
        if not self.trust_env:
            return None
        proxies = urllib.request.getproxies()
        proxy = proxies.get(scheme)
        if proxy is None or urllib.request.proxy_bypass(host):
            return None
        return proxy if "://" in proxy else f"http://{proxy}"

    def _exchange(
        self, request: HttpRequest, timeout: float | None
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        scheme, host, port = check_url(request.url)
        shown = redact_url(request.url)
        connection, proxy_headers = self._connection(scheme, host, port, timeout)
        try:
            connection.connect()
        except TimeoutError:
            connection.close()
            raise ConnectError(f"connecting to {host}:{port} timed out after {timeout} s") from None
        except OSError as error:
            connection.close()
            raise ConnectError(f"cannot connect to {host}:{port}: {_describe(error)}") from None
        parts = urlsplit(request.url)
        target = (
            request.url
            if proxy_headers is not None
            else (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        )
        try:
            self._send_request(connection, request, target, proxy_headers or {})
            response = connection.getresponse()
        except TimeoutError:
            connection.close()
            raise RequestTimeoutError(
                f"{request.method} {shown}: no response within {timeout} s"
            ) from None
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise StreamInterruptedError(
                f"{request.method} {shown}: the connection broke before a response arrived "
                f"({_describe(error)})"
            ) from None
        return connection, response

    def _send_request(
        self,
        connection: http.client.HTTPConnection,
        request: HttpRequest,
        target: str,
        proxy_headers: dict[str, str],
    ) -> None:
        names = {name.lower() for name, _ in request.headers.items_all()}
        connection.putrequest(
            request.method,
            target,
            skip_host="host" in names,
            skip_accept_encoding="accept-encoding" in names,
        )
        for name, value in request.headers.items_all():
            connection.putheader(name, value)
        for name, value in proxy_headers.items():
            connection.putheader(name, value)
        if "content-length" not in names and (
            request.body or request.method in ("POST", "PUT", "PATCH")
        ):
            connection.putheader("Content-Length", str(len(request.body)))
        connection.endheaders(request.body or None)

    def _chunks(
        self, request: HttpRequest, response: http.client.HTTPResponse, timeout: float | None
    ) -> Iterator[bytes]:
        shown = redact_url(request.url)
        declared = response.getheader("content-length")
        expected: int | None = None
        if request.method != "HEAD" and response.status not in _NO_BODY_STATUSES:
            expected = parse_header_int(declared)
        received = 0
        try:
            while True:
                chunk = response.read1(self.chunk_size)
                if not chunk:
                    break
                received += len(chunk)
                yield chunk
        except TimeoutError:
            raise RequestTimeoutError(
                f"{request.method} {shown}: no data for {timeout} s after {received} body bytes"
            ) from None
        except (OSError, http.client.HTTPException) as error:
            raise StreamInterruptedError(
                f"{request.method} {shown}: the connection broke after {received} body bytes "
                f"({_describe(error)})"
            ) from None
        if expected is not None and received < expected:
            raise StreamInterruptedError(
                f"{request.method} {shown}: the body ended after {received} of {expected} bytes"
            )


def _describe(error: BaseException) -> str:
    """A short description of a socket-level error, without a traceback."""
    if isinstance(error, http.client.IncompleteRead):
        return f"incomplete read, {len(error.partial)} bytes"
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if text != type(error).__name__ else text
