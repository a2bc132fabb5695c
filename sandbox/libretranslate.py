"""A LibreTranslate stand-in: ``POST /translate`` as LibreTranslate answers it, for tests,
benchmarks and ``productgraph sandbox --libretranslate``.

    POST /translate  {"q": "文本" | ["…", …], "source": "zh", "target": "en",
                      "format": "text", "api_key": "…"}
      → 200 {"translatedText": "…"}            (q a string)
      → 200 {"translatedText": ["…", …]}       (q a list)
      → 400 {"error": "…"}   a bad request;   403 {"error": "Invalid API key"}
    GET /languages → [{"code": "en", …}, …]
    GET /_stats    → {"calls": n, "texts": n}   (the stand-in's own: what tests count)
    POST /_faults  {"status": 503, "delay_s": 0}  makes every /translate answer so

Its "translation" is ``[<target>] <text>``: recognisably machine-made and deterministic.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

LANGUAGES = ("en", "zh", "ja", "ko", "de", "fr", "es", "ru", "pt", "it")


@dataclass
class LibreTranslateState:
    api_key: str = ""
    calls: int = 0
    texts: int = 0
    fault_status: int = 0
    delay_s: float = 0.0
    batches: list[int] = field(default_factory=list)


def translate_text(text: str, target: str) -> str:
    return f"[{target}] {text}"


def create_libretranslate_app(api_key: str = "") -> Starlette:
    """The stand-in; with ``api_key`` set, a request without that key is refused (403)."""
    state = LibreTranslateState(api_key=api_key)

    async def translate(request: Request) -> JSONResponse:
        try:
            body: Any = await request.json()
        except json.JSONDecodeError:
            body = dict(await request.form())
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        if state.fault_status:
            state.calls += 1
            return JSONResponse({"error": "Translation service unavailable"},
                                status_code=state.fault_status)
        if state.api_key and body.get("api_key") != state.api_key:
            return JSONResponse({"error": "Invalid API key"}, status_code=403)
        q, target = body.get("q"), body.get("target")
        if target not in LANGUAGES or body.get("source") not in (*LANGUAGES, "auto"):
            return JSONResponse({"error": f"{target} is not supported"}, status_code=400)
        if not isinstance(q, str | list) or not q:
            return JSONResponse({"error": "Invalid request: missing q parameter"},
                                status_code=400)
        state.calls += 1
        texts = [q] if isinstance(q, str) else [str(t) for t in q]
        state.texts += len(texts)
        state.batches.append(len(texts))
        out = [translate_text(t, target) for t in texts]
        return JSONResponse({"translatedText": out[0] if isinstance(q, str) else out})

    async def languages(request: Request) -> JSONResponse:
        return JSONResponse([{"code": c, "name": c, "targets": list(LANGUAGES)}
                             for c in LANGUAGES])

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse({"calls": state.calls, "texts": state.texts,
                             "batches": state.batches})

    async def faults(request: Request) -> JSONResponse:
        body = await request.json()
        state.fault_status = int(body.get("status") or 0)
        state.delay_s = float(body.get("delay_s") or 0)
        if body.get("reset"):
            state.calls = state.texts = 0
            state.batches.clear()
        return JSONResponse({"status": state.fault_status, "delay_s": state.delay_s})

    app = Starlette(routes=[
        Route("/translate", translate, methods=["POST"]),
        Route("/languages", languages, methods=["GET"]),
        Route("/_stats", stats, methods=["GET"]),
        Route("/_faults", faults, methods=["POST"]),
    ])
    app.state.libretranslate = state
    return app


app = create_libretranslate_app()
