"""Plans (Essential, Professional): what each includes (``catalogue``), the one decision
``plan_allows``, the history and usage counters (``models``, ``services``), and how REST
(``api``), pages (``web``) and sockets (``realtime.dispatch``) ask it. See docs/plans.md."""
