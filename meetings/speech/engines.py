"""Speech-to-text engines behind one call: ``await engine.transcribe(pcm) -> str``.

- ``OpenAIEngine``: an OpenAI-compatible ``/v1/audio/transcriptions`` endpoint (Whisper-style;
  ``TRANSCRIBE_URL``, ``TRANSCRIBE_KEY``, ``TRANSCRIBE_MODEL``), called from a thread pool.
- ``SphinxEngine``: PocketSphinx in a pool of spawned worker processes (it holds the GIL).

Both are bounded: ``CAPTIONS_WORKERS`` run at once, and at most ``CAPTIONS_BACKLOG``
utterances wait; beyond that ``Overloaded`` is raised at once and the utterance is dropped,
so a busy server gives fewer captions instead of later ones.
"""

import asyncio
import http.client
import io
import json
import logging
import multiprocessing
import secrets
import urllib.error
import urllib.request
import wave
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache

from django.conf import settings

from meetings.speech import SAMPLE_BYTES, SAMPLE_RATE, sphinx

log = logging.getLogger(__name__)
MAX_RESPONSE_BYTES = 256 * 1024


class RecogniserError(Exception):
    """The engine could not transcribe this utterance."""


class Overloaded(RecogniserError):
    """Too many utterances are waiting; this one is dropped."""


class _Bounded:
    name = ""

    def __init__(self, *, workers: int, backlog: int):
        self.workers = workers
        self.limit = workers + backlog
        self.inflight = 0

    async def transcribe(self, pcm: bytes) -> str:
        if self.inflight >= self.limit:
            raise Overloaded("The recogniser is busy; this caption was dropped.")
        self.inflight += 1
        try:
            return await self._run(pcm)
        finally:
            self.inflight -= 1

    async def _run(self, pcm: bytes) -> str:
        raise NotImplementedError


class SphinxEngine(_Bounded):
    name = "pocketsphinx"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=sphinx.init,
            )
        return self._pool

    async def _run(self, pcm: bytes) -> str:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), sphinx.decode, pcm)
        except BrokenProcessPool:
            log.warning("a PocketSphinx worker died; starting a new pool")
            self._pool = None
            raise RecogniserError("The recogniser restarted; this caption was lost.") from None

    async def warm_up(self) -> None:
        """Start the worker processes (and load the model) before the first utterance."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor(), sphinx.ping)
        except BrokenProcessPool:
            self._pool = None


class OpenAIEngine(_Bounded):
    name = "openai"

    def __init__(self, *, url: str, key: str, model: str, language: str, timeout: float, **kwargs):
        super().__init__(**kwargs)
        self.url = transcriptions_url(url)
        self.key, self.model, self.language, self.timeout = key, model, language, timeout
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="transcribe")

    async def _run(self, pcm: bytes) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.post, pcm)

    async def warm_up(self) -> None:
        return None

    def post(self, pcm: bytes) -> str:
        fields = {"model": self.model, "response_format": "json"}
        if self.language:
            fields["language"] = self.language
        body, content_type = multipart(fields, "file", "utterance.wav", wav_bytes(pcm), "audio/wav")
        headers = {"Content-Type": content_type}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (scheme checked)
                answer = json.loads(response.read(MAX_RESPONSE_BYTES))
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            log.warning("transcription request failed: %s", exc)
            raise RecogniserError("The transcription service did not answer.") from None
        text = answer.get("text") if isinstance(answer, dict) else None
        if not isinstance(text, str):
            raise RecogniserError("The transcription service answered without text.")
        return text.strip()


def transcriptions_url(base: str) -> str:
    base = base.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError("TRANSCRIBE_URL must be an http(s) URL")
    if base.endswith("/audio/transcriptions"):
        return base
    return f"{base}/audio/transcriptions" if base.endswith("/v1") else f"{base}/v1/audio/transcriptions"


def wav_bytes(pcm: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(SAMPLE_BYTES)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm)
    return out.getvalue()


def multipart(
    fields: dict, file_field: str, filename: str, data: bytes, content_type: str,
) -> tuple[bytes, str]:
    boundary = f"parley-{secrets.token_hex(12)}"
    parts = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def engine_name() -> str | None:
    """Which recogniser captions use: ``azure`` (in the browser), ``openai`` or ``pocketsphinx``
    (on the server), or None when none is available."""
    if settings.AZURE_SPEECH_KEY and settings.AZURE_SPEECH_REGION:
        return "azure"
    return server_engine_name()


def server_engine_name() -> str | None:
    if settings.TRANSCRIBE_URL:
        return "openai"
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        return None
    return "pocketsphinx"


@lru_cache(maxsize=4)
def _engine(
    name: str, url: str, key: str, model: str, language: str, timeout: float, workers: int, backlog: int,
):
    bounds = {"workers": workers, "backlog": backlog}
    if name == "openai":
        return OpenAIEngine(url=url, key=key, model=model, language=language, timeout=timeout, **bounds)
    return SphinxEngine(**bounds)


def get_engine():
    """The server-side engine for the current settings (one per process), or None."""
    name = server_engine_name()
    if name is None:
        return None
    return _engine(
        name, settings.TRANSCRIBE_URL, settings.TRANSCRIBE_KEY, settings.TRANSCRIBE_MODEL,
        settings.TRANSCRIBE_LANGUAGE, float(settings.TRANSCRIBE_TIMEOUT), settings.CAPTIONS_WORKERS,
        settings.CAPTIONS_BACKLOG,
    )
