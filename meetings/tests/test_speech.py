"""Speech recognition for captions: utterances out of a stream, PocketSphinx on a synthetic
voice, and the OpenAI-compatible engine against a local fake transcription server."""

import asyncio
import io
import json
import threading
import wave

import pytest

from meetings.speech.engines import (
    OpenAIEngine,
    Overloaded,
    RecogniserError,
    SphinxEngine,
    transcriptions_url,
)
from meetings.speech.segmenter import Segmenter
from meetings.tests.api_helpers import fake_server
from meetings.tests.speech_support import SENTENCE, speech_pcm, words_heard

SILENCE = bytes(16000 * 2)  # one second


def in_thread(coroutine):
    """``asyncio.run`` in a thread of its own: browser tests leave an event loop running in this one."""
    result = {}

    def target():
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # re-raised in the test's thread
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(120)
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_segmenter_finds_one_utterance_in_a_spoken_sentence(tmp_path):
    pcm = speech_pcm(tmp_path)
    segmenter = Segmenter(max_seconds=12)
    utterances = []
    for i in range(0, len(pcm), 3200):  # 100 ms frames, as the browser sends them
        utterances += segmenter.feed(pcm[i:i + 3200])
    utterances += segmenter.feed(SILENCE)
    assert len(utterances) == 1
    seconds = len(utterances[0]) / 32000
    assert 2 < seconds < 5, seconds
    assert segmenter.feed(SILENCE) == [] and segmenter.flush() is None


def test_a_long_utterance_is_cut_and_flush_returns_the_rest(tmp_path):
    pcm = speech_pcm(tmp_path)
    segmenter = Segmenter(max_seconds=2)
    cut = segmenter.feed(pcm[: len(pcm) // 2 + 32000])
    assert cut and all(2 * 32000 <= len(u) < 2.5 * 32000 for u in cut)
    rest = segmenter.flush()
    assert rest and len(rest) < 2 * 32000


def test_pocketsphinx_recognises_a_synthetic_sentence(tmp_path):
    async def run():
        engine = SphinxEngine(workers=1, backlog=1)
        try:
            return await engine.transcribe(speech_pcm(tmp_path))
        finally:
            engine._pool.shutdown()

    heard = in_thread(run())
    assert words_heard(SENTENCE, heard) >= 1 / 3, heard


def test_openai_compatible_endpoint_gets_a_wav_and_its_text_is_the_caption(tmp_path):
    pcm = speech_pcm(tmp_path)

    def answer(request):
        return 200, "application/json", json.dumps({"text": "  we will open a new office  "}).encode()

    with fake_server(answer) as (url, seen):
        engine = OpenAIEngine(url=url, key="sk-test", model="whisper-large", language="en", timeout=5,
                              workers=1, backlog=1)
        assert in_thread(engine.transcribe(pcm)) == "we will open a new office"
    (request,) = seen
    assert request["path"] == "/v1/audio/transcriptions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    fields = _multipart(request)
    assert fields["model"] == b"whisper-large" and fields["language"] == b"en"
    with wave.open(io.BytesIO(fields["file"])) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        assert w.readframes(w.getnframes()) == pcm


@pytest.mark.parametrize("status, body", [(500, b"{}"), (200, b"not json"), (200, b'{"error": "x"}')])
def test_openai_failures_are_recogniser_errors(status, body):
    with fake_server(lambda request: (status, "application/json", body)) as (url, _):
        engine = OpenAIEngine(url=url, key="", model="m", language="", timeout=5, workers=1, backlog=0)
        with pytest.raises(RecogniserError):
            in_thread(engine.transcribe(SILENCE))


def test_the_engine_is_bounded_and_drops_what_it_cannot_take():
    release = threading.Event()

    def slow(request):
        release.wait(5)
        return 200, "application/json", b'{"text": "late"}'

    async def run(url):
        engine = OpenAIEngine(url=url, key="", model="m", language="", timeout=5, workers=1, backlog=1)
        first = asyncio.ensure_future(engine.transcribe(SILENCE))
        second = asyncio.ensure_future(engine.transcribe(SILENCE))
        await asyncio.sleep(0)
        with pytest.raises(Overloaded):
            await engine.transcribe(SILENCE)
        release.set()
        return await first, await second

    with fake_server(slow) as (url, _):
        assert in_thread(run(url)) == ("late", "late")


@pytest.mark.parametrize("base, url", [
    ("http://whisper:8000", "http://whisper:8000/v1/audio/transcriptions"),
    ("http://whisper:8000/v1/", "http://whisper:8000/v1/audio/transcriptions"),
    ("https://x/openai/v1/audio/transcriptions", "https://x/openai/v1/audio/transcriptions"),
])
def test_transcriptions_url(base, url):
    assert transcriptions_url(base) == url
    with pytest.raises(ValueError):
        transcriptions_url("file:///etc/passwd")


def _multipart(request) -> dict[str, bytes]:
    boundary = request["headers"]["Content-Type"].split("boundary=")[1].encode()
    fields = {}
    for part in request["body"].split(b"--" + boundary)[1:-1]:
        head, _, value = part.strip(b"\r\n").partition(b"\r\n\r\n")
        name = head.split(b'name="')[1].split(b'"')[0].decode()
        fields[name] = value
    return fields
