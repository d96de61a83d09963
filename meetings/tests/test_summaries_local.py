"""The local summariser on a realistic 30-minute product sync (fixtures/transcript_30min.txt):
topics, decisions and action items with owners, each once; and the short transcript that
used to read "Api User and Bob discussed let's"."""

import re
from pathlib import Path

import pytest

from meetings import summaries
from meetings.summaries import local_summarise

FIXTURE = Path(__file__).parent / "fixtures" / "transcript_30min.txt"


def transcript() -> list[tuple[str, str]]:
    lines = []
    for line in FIXTURE.read_text().splitlines():
        if match := re.match(r"(\d+):(\d\d) ([^:]+): (.+)", line):
            lines.append((match.group(3), match.group(4)))
    return lines


def sections(text: str) -> dict[str, list[str]]:
    head, rest = text.split("\nDecisions:\n")
    decisions, actions = rest.split("\nAction items:\n")
    return {"head": [head], "decisions": decisions.splitlines(), "actions": actions.splitlines()}


@pytest.fixture(scope="module")
def summary() -> dict[str, list[str]]:
    lines = transcript()
    assert len(lines) > 150  # about half a minute apart over 28 minutes
    return sections(local_summarise(lines, title="Product sync"))


def test_the_fixture_is_half_an_hour():
    stamps = [line.split(" ", 1)[0] for line in FIXTURE.read_text().splitlines() if line[:1].isdigit()]
    minutes, seconds = map(int, stamps[-1].split(":"))
    assert minutes >= 28


def test_it_names_who_took_part_and_readable_topics(summary):
    (head,) = summary["head"]
    assert head.startswith("Product sync: Priya Shah, Marcus Lee, Sofia Alvarez and Daniel Okafor discussed ")
    topics = head.split(" discussed ", 1)[1].split(" (", 1)[0]
    for topic in ("mobile release", "invite step", "pricing", "support"):
        assert topic in topics, topics
    assert "'" not in topics and " let" not in topics and "first" not in topics.split(", ")


def test_decisions_are_the_four_taken_each_once_without_lead_ins(summary):
    assert summary["decisions"] == [
        "- Keep the mobile release on the fourteenth.",
        "- Ship the invite step change first and do the empty states in the next sprint.",
        "- Roll out the annual first pricing page to everyone next week.",
        "- Keep the current screenshots for 4.2.",
    ]


def test_action_items_have_owners_and_no_duplicates(summary):
    actions = summary["actions"]
    assert "- Marcus Lee: fix the Android photo upload crash by Thursday" in actions
    assert "- Sofia Alvarez: write the release notes for 4.2 and share them on Friday" in actions
    assert "- Marcus Lee: run the invoice script by Wednesday" in actions
    assert "- Daniel Okafor: design the billing banner by tomorrow" in actions
    assert "- Sofia Alvarez: ask marketing to fix the welcome email link" in actions
    assert "- Marcus Lee: prepare the cloud cost numbers for the review" in actions
    # asked ("can you own the Android crash fix?") and then promised: one item, in the owner's words
    assert not any("own the Android crash fix" in a for a in actions)
    assert sum("onboarding tickets" in a or "tickets for the onboarding" in a for a in actions) == 1
    # not tasks: "I'll know exactly once the script runs", "Let me check the time", "Somebody needs to…"
    assert not any(re.search(r": (know|check the time|recap)|Somebody", a) for a in actions)
    owners = {a[2:].split(":", 1)[0] for a in actions}
    assert owners == {"Priya Shah", "Marcus Lee", "Sofia Alvarez", "Daniel Okafor"}
    assert len(actions) == len(set(actions)) and len(actions) >= 15


def test_a_short_transcript_reads_well():
    text = local_summarise([
        ("Api User", "Hello everyone, let's start."), ("Bob", "Let's ship on Friday."),
        ("Api User", "Agreed, let's ship on Friday."), ("Bob", "I'll write the notes."),
    ])
    assert text.startswith("Api User and Bob met (4 transcript messages).")
    assert sections(text)["decisions"] == ["- Ship on Friday."]
    assert sections(text)["actions"] == ["- Bob: write the notes"]


def test_an_openai_compatible_endpoint_still_takes_over(settings, monkeypatch):
    settings.SUMMARY_LLM_URL = "http://llm.invalid/v1"
    monkeypatch.setattr(summaries, "llm_summarise", lambda lines, title="": "From the model.")
    assert summaries.summarise(transcript()) == summaries.Summary("From the model.", "llm")
