"""`danvan user`: console accounts (add, list, set a password, enable/disable, unlock after a lockout).

Passwords are asked on the terminal without echo, or read from standard input with --password-stdin (for
scripts); they never appear on the command line, where `ps` and shell history would show them.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from danvan.errors import CommandError
from danvan.settings import Settings

if TYPE_CHECKING:  # imported where used: the console is not loaded to parse the command line
    from console.accounts import Accounts


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("user", help="manage accounts of the operators' console")
    actions = parser.add_subparsers(dest="user_action", required=True)

    add = actions.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=("admin", "operator"), required=True)
    add.add_argument("--agency", help="agency code (required for an operator), e.g. so-xay-dung")
    add.add_argument("--commune", help="commune code narrowing an operator of ubnd-cap-xa to one commune, "
                                       "e.g. phuong-tan-ninh")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=run_add)

    passwd = actions.add_parser("passwd", help="set a new password (ends the user's sessions)")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.set_defaults(handler=run_passwd)

    listing = actions.add_parser("list", help="list accounts")
    listing.set_defaults(handler=run_list)

    for name, active, text in (("disable", False, "disable an account (ends its sessions)"),
                               ("enable", True, "enable an account again")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("username")
        sub.set_defaults(handler=run_set_active, active=active)

    unlock = actions.add_parser("unlock", help="clear the failed logins of a locked-out account")
    unlock.add_argument("username")
    unlock.set_defaults(handler=run_unlock)


def _accounts(settings: Settings) -> Accounts:
    from console.accounts import Accounts
    from petitions.store import PetitionStore

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    store = PetitionStore(settings.petitions_url)
    store.migrate()
    accounts = Accounts(store.engine)
    accounts.ensure_schema()
    return accounts


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise CommandError("passwords do not match")
    if not password:
        raise CommandError("empty password")
    return password


def _known_agency(settings: Settings, code: str) -> None:
    from console.agencies import AgencyDirectory

    agencies = AgencyDirectory.load(settings.routing_table)
    if agencies.all() and code not in agencies:
        known = ", ".join(a.code for a in agencies.all())
        raise CommandError(f"unknown agency {code!r}; known codes: {known}")


def _known_commune(settings: Settings, code: str) -> None:
    from petitions.communes import CommuneDirectory

    if not settings.communes_file.is_file():
        return
    try:
        directory = CommuneDirectory.load(settings.communes_file)
    except ValueError as exc:
        raise CommandError(f"cannot read {settings.communes_file}: {exc}") from exc
    if directory.get(code) is None:
        raise CommandError(f"unknown commune code {code!r} (see {settings.communes_file})")


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    from console.accounts import AccountError

    if args.role == "operator" and not args.agency:
        raise CommandError("an operator needs --agency CODE")
    if args.agency:
        _known_agency(settings, args.agency)
    if args.commune:
        _known_commune(settings, args.commune)
    password = _read_password(args)
    try:
        account = _accounts(settings).add_user(args.username, password, args.role, args.agency, args.commune)
    except AccountError as exc:
        raise CommandError(str(exc)) from exc
    scope = f", agency {account.agency}" if account.agency else ""
    scope += f", commune {account.commune}" if account.commune else ""
    print(f"created {account.role} {account.username!r}{scope}")
    return 0


def run_passwd(args: argparse.Namespace, settings: Settings) -> int:
    from console.accounts import AccountError

    password = _read_password(args)
    try:
        account = _accounts(settings).set_password(args.username, password)
    except AccountError as exc:
        raise CommandError(str(exc)) from exc
    print(f"password of {account.username!r} changed")
    return 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    for account in _accounts(settings).list_users():
        state = "" if account.active else " (disabled)"
        print(f"{account.username}\t{account.role}\t{account.agency or '-'}\t{account.commune or '-'}{state}")
    return 0


def run_set_active(args: argparse.Namespace, settings: Settings) -> int:
    from console.accounts import AccountError

    try:
        account = _accounts(settings).set_active(args.username, args.active)
    except AccountError as exc:
        raise CommandError(str(exc)) from exc
    print(f"{account.username!r} {'enabled' if account.active else 'disabled'}")
    return 0


def run_unlock(args: argparse.Namespace, settings: Settings) -> int:
    accounts = _accounts(settings)
    if accounts.get(args.username) is None:
        raise CommandError(f"no user {args.username!r}")
    accounts.unlock(args.username)
    print(f"{args.username!r} unlocked")
    return 0
