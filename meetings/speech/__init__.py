"""Speech recognition for live captions (docs/captions.md).

- ``segmenter``: cuts a stream of 16 kHz mono PCM into utterances (voice activity).
- ``engines``: turns an utterance into text, off the event loop and bounded — PocketSphinx
  in worker processes (``sphinx``), or an OpenAI-compatible transcription endpoint.

Nothing here knows about sockets; ``realtime.captions`` feeds it and relays the lines.
"""

SAMPLE_RATE = 16000
SAMPLE_BYTES = 2  # signed 16-bit little-endian, mono
