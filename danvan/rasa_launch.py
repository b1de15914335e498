"""Start `rasa run` with its HTTP API token taken from the environment instead of the command line.

Rasa 3.6 reads the token only from `--auth-token`, and a process's arguments are readable by every user of the
machine (`ps`, /proc/PID/cmdline), while its environment is readable only by its owner. danvan/stack.py therefore
runs `<rasa python> -m danvan.rasa_launch run ...` with the token in DANVAN_RASA_TOKEN; this module appends it to
`sys.argv` inside the process (which /proc/PID/cmdline does not show) and hands over to Rasa's own entry point.

It runs under the Rasa environment's Python (3.10) and imports nothing from the project.
"""
from __future__ import annotations

import os
import sys

TOKEN_ENV = "DANVAN_RASA_TOKEN"


def rasa_argv(args: list[str], token: str) -> list[str]:
    """Rasa's command line with the token added; refuses to enable the HTTP API without one."""
    if "--enable-api" in args and not token:
        raise SystemExit(f"danvan.rasa_launch: --enable-api needs a token in {TOKEN_ENV}")
    if any(a == "-t" or a.startswith("--auth-token") for a in args):
        raise SystemExit("danvan.rasa_launch: pass the token in the environment, not on the command line")
    return ["rasa", *args, f"--auth-token={token}"] if token else ["rasa", *args]


def main() -> None:
    token = os.environ.pop(TOKEN_ENV, "")  # not inherited by anything Rasa starts
    sys.argv = rasa_argv(sys.argv[1:], token)
    from rasa.__main__ import main as rasa_main  # type: ignore[import-not-found]  # the Rasa environment only

    rasa_main()


if __name__ == "__main__":
    main()
