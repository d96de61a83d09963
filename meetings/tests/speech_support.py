"""Speech for the captions tests: an English sentence spoken by espeak-ng, resampled by sox
(both from Debian: ``apt-get install espeak-ng sox``; ``.ci/run`` installs them)."""

import shutil
import subprocess
from pathlib import Path

SENTENCE = "We will open a new office in the city next week"
VOICE = ["-v", "en-us+f2", "-s", "150"]  # the clearest of espeak-ng's voices for PocketSphinx


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"{tool} is needed for the captions tests: apt-get install espeak-ng sox")
    return path


def speech_wav(
    path: Path, text: str = SENTENCE, *, rate: int = 16000, pad: tuple[float, float] = (0.5, 1.5),
) -> Path:
    """``text`` spoken into a mono WAV at ``rate`` Hz, with silence before and after."""
    raw = path.with_suffix(".espeak.wav")
    subprocess.run([_need("espeak-ng"), *VOICE, "-w", str(raw), text], check=True)
    subprocess.run([_need("sox"), str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(path),
                    "pad", str(pad[0]), str(pad[1])], check=True)
    return path


def speech_pcm(tmp_path: Path, text: str = SENTENCE) -> bytes:
    """``text`` as 16 kHz mono s16le PCM (what the browser streams to the captions socket)."""
    wav = speech_wav(tmp_path / "speech.wav", text)
    out = subprocess.run([_need("sox"), str(wav), "-t", "raw", "-e", "signed", "-b", "16", "-"],
                         check=True, capture_output=True)
    return out.stdout


def words_heard(sentence: str, heard: str) -> float:
    """The share of the sentence's words that appear in what was heard."""
    words = sentence.lower().split()
    got = set(heard.lower().replace(".", " ").replace(",", " ").split())
    return sum(1 for w in words if w in got) / len(words)
