"""`danvan partner`: API keys of Open311 partners (apps that file petitions through /open311/v2/requests).

`add` and `rotate` print the key once; only its SHA-256 is stored, so a lost key is replaced with `rotate`, never
shown again.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from danvan.errors import CommandError
from danvan.settings import Settings

if TYPE_CHECKING:  # imported where used: the store is not loaded to parse the command line
    from petitions.open311_keys import PartnerKeys

T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("partner", help="manage API keys of Open311 partners")
    actions = parser.add_subparsers(dest="partner_action", required=True)

    add = actions.add_parser("add", help="register a partner and print its new API key (shown once)")
    add.add_argument("name", help="lowercase letters, digits and dashes, e.g. fixmystreet-tayninh")
    add.add_argument("--per-minute", type=int, default=30, help="requests per minute allowed (default 30)")
    add.set_defaults(handler=run_add)

    rotate = actions.add_parser("rotate", help="issue a new key (the old one stops working at once)")
    rotate.add_argument("name")
    rotate.set_defaults(handler=run_rotate)

    revoke = actions.add_parser("revoke", help="stop a partner's key")
    revoke.add_argument("name")
    revoke.set_defaults(handler=run_revoke)

    limit = actions.add_parser("limit", help="change a partner's requests per minute")
    limit.add_argument("name")
    limit.add_argument("per_minute", type=int)
    limit.set_defaults(handler=run_limit)

    listing = actions.add_parser("list", help="list partners (never their keys)")
    listing.set_defaults(handler=run_list)


def _keys(settings: Settings) -> PartnerKeys:
    from petitions.open311_keys import PartnerKeys
    from petitions.store import PetitionStore

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    store = PetitionStore(settings.petitions_url)
    store.migrate()
    return PartnerKeys(store.engine)


def _run(action: Callable[[], T]) -> T:
    from petitions.open311_keys import PartnerError

    try:
        return action()
    except PartnerError as exc:
        raise CommandError(str(exc)) from exc


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    partner, key = _run(lambda: _keys(settings).add(args.name, per_minute=args.per_minute))
    print(f"partner {partner.name!r} added ({partner.per_minute} requests/minute); its API key, shown only now:")
    print(key)
    return 0


def run_rotate(args: argparse.Namespace, settings: Settings) -> int:
    partner, key = _run(lambda: _keys(settings).rotate(args.name))
    print(f"new API key of {partner.name!r} (the old one no longer works), shown only now:")
    print(key)
    return 0


def run_revoke(args: argparse.Namespace, settings: Settings) -> int:
    partner = _run(lambda: _keys(settings).revoke(args.name))
    print(f"partner {partner.name!r}: key revoked")
    return 0


def run_limit(args: argparse.Namespace, settings: Settings) -> int:
    partner = _run(lambda: _keys(settings).set_limit(args.name, args.per_minute))
    print(f"partner {partner.name!r}: {partner.per_minute} requests/minute")
    return 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    for p in _run(lambda: _keys(settings).list()):
        state = "active" if p.active else "revoked"
        print(f"{p.name}\t{p.key_hint}…\t{p.per_minute}/min\t{state}\tsince {p.created_at:%Y-%m-%d}")
    return 0
