"""The client's import pays only for what it uses (issue 15).

``from gemini_vision.client import Client`` must not load a transport, asyncio,
ssl, sockets, http.client, email or logging: those come with the first request
(the default transport is made in ``Client()``). What is asserted is which
modules are loaded, never a time; ``benches/test_bench_import.py`` times it.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: Modules the client's import must leave alone (each costs milliseconds).
NOT_AT_IMPORT = (
    "asyncio",
    "ssl",
    "socket",
    "http.client",
    "email",
    "logging",
    "concurrent.futures",
    "urllib.request",
    "subprocess",
    "numpy",
    "PIL",
    "gemini_vision.transports.urllib_transport",
    "gemini_vision.transports.threaded",
    "gemini_vision.transports.httpx_transport",
    "gemini_vision.transports.cassette",
    # The Files and tuned-model API load on a method's first call.
    "gemini_vision.api.files",
    "gemini_vision.api.operations",
    "gemini_vision.api.pagination",
    "gemini_vision.api.polling",
    "gemini_vision.api.tuned_create",
    "gemini_vision.api.tuned_models",
    "gemini_vision.wire.tuned",
    "gemini_vision.wire.operation",
    # With the first request built (the request limits) and the first stream read.
    "gemini_vision.images.limits",
    "gemini_vision.api.sse",
    # Only on an error path (a misspelt enum name) or a file without a sniffable type.
    "difflib",
    "mimetypes",
)


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(result.stdout))


def test_importing_the_client_loads_no_transport_and_no_asyncio() -> None:
    loaded = _loaded_after("from gemini_vision.client import AsyncClient, Client")
    assert "gemini_vision.client" in loaded
    assert sorted(loaded.intersection(NOT_AT_IMPORT)) == []


def test_the_first_client_loads_its_transport() -> None:
    """The check above can fail: making a client does load the urllib transport."""
    loaded = _loaded_after(
        "from gemini_vision.client import Client\nClient(api_key='k')\n"
        "from gemini_vision.client import AsyncClient\n"
        "AsyncClient(api_key='k', transport=object())"
    )
    assert {"gemini_vision.transports.urllib_transport", "http.client", "asyncio"} <= loaded


def test_transport_names_still_import_from_the_package() -> None:
    loaded = _loaded_after(
        "from gemini_vision.transports import Transport, UrllibTransport, ReplayTransport"
    )
    assert "gemini_vision.transports.cassette" in loaded
    assert "gemini_vision.transports.httpx_transport" not in loaded


def test_a_files_or_tuning_call_loads_its_api_modules() -> None:
    """The Files and tuned-model modules kept out of the import above do load on use."""
    loaded = _loaded_after(
        "from gemini_vision.client import Client\n"
        "from gemini_vision.wire.http import HttpResponse\n"
        "class Answer:\n"
        "    def send(self, request, *, timeout=None):\n"
        "        name = request.url.split('/v1beta/')[1].encode()\n"
        "        return HttpResponse(200, {}, b'{\"name\": \"' + name + b'\"}')\n"
        "client = Client(api_key='k', transport=Answer())\n"
        "client.get_tuned_model('tunedModels/m')\n"
        "client.get_file('files/f')\n"
    )
    assert {"gemini_vision.api.tuned_models", "gemini_vision.api.files"} <= loaded
