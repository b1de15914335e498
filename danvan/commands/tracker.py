"""`danvan tracker purge`: apply the retention period to Rasa's tracker store.

Rasa keeps every chat event for ever; this deletes those older than DANVAN_TRACKER_RETENTION_DAYS (90 by default).
Run it daily (cron, a systemd timer). It never touches a conversation's current session, so it is safe while the
assistant is running.
"""
from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from danvan.errors import CommandError
from danvan.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tracker", help="Rasa tracker store housekeeping")
    actions = parser.add_subparsers(dest="tracker_action", required=True)
    purge = actions.add_parser("purge", help="delete chat events older than the retention period")
    purge.add_argument("--days", type=int, help="retention in days (default: DANVAN_TRACKER_RETENTION_DAYS)")
    purge.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    purge.set_defaults(handler=run_purge)


def run_purge(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from petitions.tracker_privacy import purge_older_than, tracker_store_exists

    days = settings.tracker_retention_days if args.days is None else args.days
    if days < 1:
        raise CommandError("--days must be at least 1")
    cutoff = datetime.now(UTC) - timedelta(days=days)
    try:
        if not tracker_store_exists(settings.tracker_url):
            print("No tracker store yet (no events table); nothing to purge.")
            return 0
        removed = purge_older_than(settings.tracker_url, cutoff, dry_run=args.dry_run)
    except SQLAlchemyError as exc:
        raise CommandError(f"tracker store unreachable: {type(exc).__name__}") from exc
    verb = "Would remove" if args.dry_run else "Removed"
    print(f"{verb} {removed} tracker event(s) older than {days} days (before {cutoff:%Y-%m-%d %H:%M} UTC).")
    return 0
