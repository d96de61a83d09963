"""PocketSphinx in a worker process. PocketSphinx holds the GIL while it decodes, so it
runs in processes of its own (``engines.SphinxEngine``), each with one decoder loaded once.

This module must stay importable without Django: the worker processes are spawned.
"""

_decoder = None


def init() -> None:
    """Load the English model that ships inside the ``pocketsphinx`` wheel."""
    global _decoder
    from pocketsphinx import Decoder

    _decoder = Decoder(loglevel="FATAL")


def decode(pcm: bytes) -> str:
    """The best hypothesis for one utterance of 16 kHz mono s16le PCM ("" for none)."""
    if _decoder is None:
        init()
    _decoder.start_utt()
    _decoder.process_raw(pcm, no_search=False, full_utt=True)
    _decoder.end_utt()
    hyp = _decoder.hyp()
    return hyp.hypstr.strip() if hyp is not None else ""


def ping() -> bool:
    return _decoder is not None
