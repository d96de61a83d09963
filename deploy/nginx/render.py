"""Render deploy/nginx/parley.conf.template into a runnable nginx.conf.

    python deploy/nginx/render.py --run-dir /tmp/parley-prod --listen 127.0.0.1:8000 \
        --static-root staticfiles --upstream 127.0.0.1:8001 --upstream 127.0.0.1:8002

Writes RUN_DIR/parley.conf (and the temp directories nginx needs); then
``nginx -p RUN_DIR -c RUN_DIR/parley.conf -g 'daemon off;'`` serves it without root.
"""

import argparse
import os
import pwd
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "parley.conf.template"


def user_directive(static_root: Path) -> str:
    """Started by root, nginx would run its workers as ``nobody``, who may not reach a checkout
    under a private home directory: they run as the owner of the static files instead. Started
    by anyone else, nginx keeps that user and ignores the directive, so none is written."""
    if os.geteuid() != 0:
        return "# user: the user who starts nginx"
    return f"user {pwd.getpwuid(static_root.stat().st_uid).pw_name};"


def render(*, run_dir: Path, listen: str, static_root: Path, upstreams: list[str]) -> Path:
    run_dir = Path(run_dir).resolve()
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    static_root = Path(static_root).resolve()
    servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=2s;" for u in upstreams)
    text = TEMPLATE.read_text()
    for name, value in {"RUN_DIR": str(run_dir), "LISTEN": listen, "SERVERS": servers,
                        "STATIC_ROOT": str(static_root), "USER": user_directive(static_root)}.items():
        text = text.replace(f"@@{name}@@", value)
    if "@@" in text:
        raise ValueError("a placeholder of the nginx template was left unrendered")
    conf = run_dir / "parley.conf"
    conf.write_text(text)
    return conf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True, type=Path)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--static-root", required=True, type=Path)
    parser.add_argument("--upstream", action="append", required=True)
    args = parser.parse_args()
    print(render(run_dir=args.run_dir, listen=args.listen, static_root=args.static_root,
                 upstreams=args.upstream))


if __name__ == "__main__":
    main()
