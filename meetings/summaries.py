"""Meeting summaries from transcripts, by a pluggable summariser.

- The local summariser (the default) needs no network: it reports who took part, the
  topics that came up most, the decisions taken and the action items with their owners
  where the transcript names them.
- When ``SUMMARY_LLM_URL`` is set, an OpenAI-compatible chat-completions endpoint writes
  the summary instead (``SUMMARY_LLM_KEY``, ``SUMMARY_LLM_MODEL``); if it fails for any
  reason the local summariser answers, with a logged warning.
"""

import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

log = logging.getLogger(__name__)

Line = tuple[str, str]  # (speaker, message)
LLM_MAX_TRANSCRIPT_CHARS = 60_000
LLM_MAX_RESPONSE_BYTES = 1_000_000


@dataclass(frozen=True)
class Summary:
    text: str
    source: str  # "local" or "llm"


class SummariserError(Exception):
    pass


def summarise(lines: Sequence[Line], *, title: str = "") -> Summary:
    if settings.SUMMARY_LLM_URL:
        try:
            return Summary(llm_summarise(lines, title=title), "llm")
        except SummariserError as exc:
            log.warning("LLM summariser failed (%s); using the local summariser instead.", exc)
    return Summary(local_summarise(lines, title=title), "local")


# --- the OpenAI-compatible summariser -------------------------------------------------------------

_SYSTEM_PROMPT = (
    "You summarise meeting transcripts. Write one short paragraph on what was discussed, then a "
    "'Decisions:' list and an 'Action items:' list ('- Owner: task'). Use only facts from the "
    "transcript; write 'None recorded.' for an empty list."
)


def _chat_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def llm_summarise(lines: Sequence[Line], *, title: str = "") -> str:
    url = _chat_url(settings.SUMMARY_LLM_URL)
    if not url.startswith(("http://", "https://")):
        raise SummariserError("SUMMARY_LLM_URL must be an http(s) URL")
    transcript = "\n".join(f"{speaker}: {message}" for speaker, message in lines)[-LLM_MAX_TRANSCRIPT_CHARS:]
    body = {
        "model": settings.SUMMARY_LLM_MODEL,
        "temperature": 0.2,
        "messages": [
            {"role": "system", "content": _SYSTEM_PROMPT},
            {"role": "user", "content": f"Meeting: {title or 'Untitled'}\n\nTranscript:\n{transcript}"},
        ],
    }
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.SUMMARY_LLM_KEY:
        headers["Authorization"] = f"Bearer {settings.SUMMARY_LLM_KEY}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")  # noqa: S310
    timeout = settings.SUMMARY_LLM_TIMEOUT
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            payload = json.loads(response.read(LLM_MAX_RESPONSE_BYTES))
        text = payload["choices"][0]["message"]["content"]
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError, LookupError,
            TypeError) as exc:
        raise SummariserError(f"{type(exc).__name__}: {exc}") from None
    if not isinstance(text, str) or not text.strip():
        raise SummariserError("empty answer")
    return text.strip()


# --- the local summariser ------------------------------------------------------------------------

_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren as at be because been before
    being below between both but by can cannot could did didn do does doesn doing don done down during
    each else even ever every few for from further get gets getting go goes going gonna got had has
    have having he her here hers herself him himself his how i if in into is isn it its itself just
    know let lets like make makes maybe me might more most much must my myself need needs no nor not now
    of off ok okay on once one only or other our ours ourselves out over own really right said same say
    see she should so some still such sure take than thank thanks that the their theirs them
    themselves then there these they thing things think this those though through to today tomorrow
    too under until up us very want was wasn way we well were weren what when where which while who
    whom why will with won would yeah yes yet you your yours yourself also actually something anything
    everyone everybody someone good great fine next week call meeting guys hello hi bye able sounds
    time times enough please first last next previous before after again quick quickly small big
    lot lots little bit kind sort much many thing stuff today tomorrow yesterday morning afternoon
    evening minute minutes second seconds hour hours day days month months year years percent
    everyone anyone nobody somebody anybody people person guys folks already probably definitely
    exactly mostly fairly quite rather almost around still back forward point idea question
    thanks thank sorry okay alright talk talking said says saying told tell asked ask""".split()
)
# Verbs after "I'll …" that are not a task ("I'll know once the script runs").
_NOT_TASKS = frozenset("know be have see think guess bet say tell admit mention note assume hope".split())
_NOT_NAMES = frozenset(
    """We It This That They He She You I Someone Everyone Everybody Nobody There What Who Which And But So
    Then Also Maybe Okay Ok Yes No Well Now Today Tomorrow Monday Tuesday Wednesday Thursday Friday
    Saturday Sunday Let Lets Please Can Could Would Should Will If When The A An Our My Your Great
    Sounds Agreed Sure Thanks Hello Hi Alright Right Good Fine Perfect Cool Next Finally First
    Somebody Anybody Anyone Nobody People Who Whoever Marketing Support Sales Finance Legal Engineering
    Design Product Team Management""".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_DECISION = re.compile(
    r"\b(we(?:'ve| have)? (?:decided|agreed|settled on|chose|are going with|will go with|go with)"
    r"|(?:it'?s|that'?s|it is|that is) (?:decided|agreed|settled|final)"
    r"|let'?s (?:go with|ship|use|stick with|move|launch|postpone|cancel|drop|switch|roll out)"
    r"|decision(?: is|:)|the plan is|approved|we'?ll go with)\b",
    re.IGNORECASE,
)
_PROPOSAL = re.compile(r"\b(should we|shall we|how about|what if|let'?s|i (?:suggest|propose))\b", re.I)
_CONFIRMATION = re.compile(
    r"^(agreed|sounds good|deal|yes,? let'?s do (?:it|that)|ok(?:ay)?,? let'?s do (?:it|that)|"
    r"perfect,? let'?s do (?:it|that)|fine by me|works for me)\b", re.I,
)
_SELF_ACTION = re.compile(
    r"\b(?:I'll|I will|I'm going to|I am going to|I can take care of|I'll take care of)\s+(.+)", re.I
)
_NAMED_ACTION = re.compile(
    r"\b([A-Z][a-z]+)(?:,)?\s+(?:will|is going to|should|needs to|has to|can you|could you|please)\s+(.+)"
)
_ASKED_ACTION = re.compile(r"\b(?:can|could|would) you\s+(.+?)[,]?\s+([A-Z][a-z]+)\s*\?*$")
_ACTION_ITEM = re.compile(r"\baction items?:\s*(.+)", re.I)


def _sentences(lines: Sequence[Line]) -> list[Line]:
    out = []
    for speaker, message in lines:
        for sentence in _SENTENCE_END.split(" ".join(message.split())):
            if sentence.strip():
                out.append((speaker.strip() or "Someone", sentence.strip()))
    return out


def _speakers(lines: Sequence[Line]) -> list[str]:
    seen: dict[str, None] = {}
    for speaker, _ in lines:
        seen.setdefault(speaker.strip() or "Someone", None)
    return list(seen)


def _content_words(text: str, names: set[str] = frozenset()) -> list[str]:
    """Lower-case words that carry meaning: no stopwords, names, contractions or short words."""
    out = []
    for word in _WORD.findall(text):
        token = word.lower().strip("'-")
        if "'" in token or len(token) <= 3 or token in _STOPWORDS or token in names:
            out.append("")
        else:
            out.append(token)
    return out


def _topics(sentences: list[Line], names: set[str], limit: int = 6) -> list[str]:
    """Phrases said most often: two-word phrases heard at least twice first, then single words
    heard at least three times that no phrase covers."""
    words: Counter[str] = Counter()
    bigrams: Counter[tuple[str, str]] = Counter()
    for _, sentence in sentences:
        keep = _content_words(sentence, names)
        words.update(t for t in keep if t)
        bigrams.update((a, b) for a, b in zip(keep, keep[1:], strict=False) if a and b and a != b)
    topics: list[str] = []
    covered: set[str] = set()
    for (a, b), count in bigrams.most_common():
        if count < 2 or len(topics) >= limit - 2:
            break
        if a in covered or b in covered:
            continue
        topics.append(f"{a} {b}")
        covered |= {a, b}
    for word, count in words.most_common():
        if len(topics) >= limit or count < 3:
            break
        if word not in covered:
            topics.append(word)
            covered.add(word)
    return topics


def _same_point(a: str, b: str) -> bool:
    """Two statements of the same point: most meaningful words of the shorter are in the other."""
    wa, wb = set(filter(None, _content_words(a))), set(filter(None, _content_words(b)))
    if not wa or not wb:
        return a.strip().lower() == b.strip().lower()
    return len(wa & wb) / min(len(wa), len(wb)) >= 0.6


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _clean_task(text: str) -> str:
    text = _shorten(text.strip()).rstrip("?.! ").strip()
    text = re.sub(r"^(?:also|then|please|go ahead and)\s+", "", text, flags=re.I)
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _owner(name: str, speakers: list[str]) -> str:
    for speaker in speakers:
        if speaker.split()[0] == name:
            return speaker
    return name


def _actions(sentences: list[Line], speakers: list[str]) -> list[tuple[str, str]]:
    actions: list[tuple[str, str]] = []
    for speaker, sentence in sentences:
        if match := _ACTION_ITEM.search(sentence):
            named = _NAMED_ACTION.search(match.group(1))
            if named and named.group(1) not in _NOT_NAMES:
                actions.append((_owner(named.group(1), speakers), _clean_task(named.group(2))))
            else:
                actions.append((speaker, _clean_task(match.group(1))))
        elif (asked := _ASKED_ACTION.search(sentence)) and asked.group(2) not in _NOT_NAMES:
            actions.append((_owner(asked.group(2), speakers), _clean_task(asked.group(1))))
        elif (named := _NAMED_ACTION.search(sentence)) and named.group(1) not in _NOT_NAMES:
            actions.append((_owner(named.group(1), speakers), _clean_task(named.group(2))))
        elif (mine := _SELF_ACTION.search(sentence)) and not sentence.endswith("?"):
            task = _clean_task(mine.group(1))
            if task.split(" ", 1)[0].lower() not in _NOT_TASKS:
                actions.append((speaker, task))
    # One item per owner and task: a later wording of the same task (often the owner's own
    # "I'll …" after being asked) replaces the earlier one in its place.
    unique: list[tuple[str, str]] = []
    for owner, task in actions:
        if len(task) <= 3:
            continue
        same = next((i for i, (o, t) in enumerate(unique) if o == owner and _same_point(t, task)), None)
        if same is None:
            unique.append((owner, task))
        else:
            unique[same] = (owner, task)
    return unique


_LEAD_IN = re.compile(
    r"^(?:(?:okay|ok|so|and|alright|right|well|then|good|great|perfect|yes|yeah|agreed|deal|sounds good)"
    r"[,.]?\s+)*"
    r"(?:(?:the )?decision is(?: to)?:?\s+|we(?:'ve| have)? (?:decided|agreed) (?:to |that |on )?|"
    r"let'?s\s+|(?:should|shall) we\s+|how about\s+|i (?:suggest|propose)(?: we| that we)?\s+)?",
    re.IGNORECASE,
)


def _decision_text(sentence: str) -> str:
    """The decision itself, without "Okay, the decision is to …" around it."""
    text = " ".join(_LEAD_IN.sub("", sentence.strip(), count=1).split()).strip(" ,?.!")
    text = _shorten(text or sentence.strip())
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "…")) else ".")


def _decisions(sentences: list[Line]) -> list[str]:
    found: list[tuple[str, str]] = []  # (decision, "" if stated outright, else who proposed and agreed)
    for i, (speaker, sentence) in enumerate(sentences):
        if _DECISION.search(sentence) and not sentence.endswith("?"):
            found.append((_decision_text(sentence), ""))
        elif _CONFIRMATION.match(sentence) and i > 0:
            prev_speaker, prev = sentences[i - 1]
            if prev_speaker != speaker and _PROPOSAL.search(prev):
                found.append((_decision_text(prev), f" (proposed by {prev_speaker}, agreed by {speaker})"))
    # The same decision proposed, agreed and then stated: kept once, in the words it was stated in.
    unique: list[tuple[str, str]] = []
    for text, how in found:
        same = next((i for i, (t, _) in enumerate(unique) if _same_point(t, text)), None)
        if same is None:
            unique.append((text, how))
        elif not how:
            unique[same] = (text, how)
    return [text[:-1] + how + "." if how else text for text, how in unique]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def local_summarise(lines: Sequence[Line], *, title: str = "") -> str:
    sentences = _sentences(lines)
    speakers = _speakers(lines)
    names = frozenset(part.lower() for speaker in speakers for part in speaker.split())
    topics = _topics(sentences, names)
    decisions = _decisions(sentences)
    actions = _actions(sentences, speakers)

    who = _join(speakers) if len(speakers) <= 6 else f"{len(speakers)} participants"
    about = f" discussed {_join(topics)}" if topics else " met"
    heading = f"{title.strip()}: " if title.strip() else ""
    parts = [f"{heading}{who}{about} ({len(lines)} transcript messages)."]
    parts.append("Decisions:")
    parts.extend([f"- {d}" for d in decisions[:10]] or ["- None recorded."])
    parts.append("Action items:")
    parts.extend([f"- {owner}: {task}" for owner, task in actions[:30]] or ["- None recorded."])
    return "\n".join(parts)
