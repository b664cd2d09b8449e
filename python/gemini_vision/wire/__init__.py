"""The wire layer: typed values <-> JSON, and HTTP messages as values. No I/O.

Everything here builds or parses plain data; transports carry it elsewhere.

>>> from gemini_vision.wire import HttpRequest
>>> HttpRequest("GET", "https://example.test/").method
'GET'
"""

from __future__ import annotations

from gemini_vision.wire.http import Headers, HttpRequest, HttpResponse

__all__ = ["Headers", "HttpRequest", "HttpResponse"]
