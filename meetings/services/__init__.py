"""Writes of the meeting domain, one module per sub-domain:

- ``rooms``: rooms, meetings, room tokens and invites
- ``analytics``: live sessions and their participants
- ``content``: files, transcripts, summaries (REST API)
- ``recordings``: recordings, tracks and their processing

Each function is keyword-only, typed, named ``<entity>_<verb>``, atomic, and is the one
place that both writes and announces (after commit).
"""
