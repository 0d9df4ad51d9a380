"""Store maintenance subcommands: gc, doctor (see :mod:`ingest.maintenance`)."""

from __future__ import annotations

import argparse

from speechqa.cli import print_json, settings_from_args
from speechqa.errors import InputError

WAIT_HELP = "seconds to wait for a running ingest or delete to finish (default 60)"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "gc",
        parents=[common],
        help="remove chunks no document owns and vectors no text uses",
    )
    p.add_argument("--dry-run", action="store_true", help="report what would go, change nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--wait", type=float, default=60.0, metavar="SECONDS", help=WAIT_HELP)
    p.set_defaults(func=cmd_gc)

    p = sub.add_parser(
        "doctor", parents=[common], help="check the index and say what to run to fix it"
    )
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.add_argument("--wait", type=float, default=60.0, metavar="SECONDS", help=WAIT_HELP)
    p.set_defaults(func=cmd_doctor)


def _wait(args: argparse.Namespace) -> float:
    if not args.wait >= 0:
        raise InputError(
            f"--wait must be 0 or more seconds, not {args.wait:g}.",
            zh=f"--wait 须为 0 或更多秒，而不是 {args.wait:g}。",
        )
    return float(args.wait)


def cmd_gc(args: argparse.Namespace) -> int:
    from ingest.maintenance import gc

    report = gc(settings_from_args(args), dry_run=args.dry_run, wait=_wait(args))
    if args.json:
        print_json(report.to_dict())
    else:
        print(report.to_text())
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Exit 0 when nothing affects answers (housekeeping warnings included), 1 otherwise."""
    from ingest.maintenance import doctor

    report = doctor(settings_from_args(args), wait=_wait(args))
    if args.json:
        print_json(report.to_dict())
    else:
        print(report.to_text())
    return 0 if report.ok else 1
