"""Samtale's command line for operators.

    python -m bot migrate                                    create or upgrade the database tables
    python -m bot admin create USERNAME --role admin         a staff account (asks for a password)
        [--display-name "Anna Jensen"] [--language da|en]
    python -m bot admin list                                 the accounts and their roles

The password is read from SAMTALE_ADMIN_PASSWORD when set (for scripts), otherwise asked for twice
without echo. There is never a default password. `make admin` runs `admin create` interactively.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Mapping, Sequence

from bot.settings import load_settings
from bot.store import InvalidValue, get_store, migrate
from bot.store.account_models import ROLES
from bot.store.accounts import AccountStore, check_username
from bot.web.staff.passwords import WeakPassword, check_strength, hash_password

PASSWORD_VARIABLE = "SAMTALE_ADMIN_PASSWORD"


class CommandError(Exception):
    """Printed as `error: <message>` with exit status 2; never a traceback."""


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] = os.environ) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(env)
        migrate(settings.database_url)
        if args.command == "migrate":
            print(f"database ready: {settings.database_url.split('@')[-1]}")
            return 0
        accounts = AccountStore(get_store(settings))
        if args.action == "list":
            return _list(accounts)
        return _create(accounts, args, env)
    except (CommandError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncancelled; no account was created", file=sys.stderr)
        return 130


def _create(accounts: AccountStore, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    try:
        username = check_username(args.username)
    except InvalidValue as error:
        raise CommandError(str(error)) from None
    if accounts.get_user_by_username(username) is not None:
        raise CommandError(f"the username {username!r} is already taken; choose another")
    password = _password(env, username)
    user = accounts.create_user(
        username=username, display_name=args.display_name or username,
        password_hash=hash_password(password), role=args.role, language=args.language,
    )
    accounts.add_audit(user_id=None, username=None, action="user.create", target=f"user:{user['id']}",
                       detail={"username": username, "role": args.role, "via": "command line"},
                       client_address=None)
    print(f"created {args.role} {username!r} (id {user['id']}); sign in at /staff/login")
    return 0


def _password(env: Mapping[str, str], username: str) -> str:
    given = env.get(PASSWORD_VARIABLE)
    if given:
        return _strong(given, username, f"{PASSWORD_VARIABLE}: ")
    if not sys.stdin.isatty():
        raise CommandError(f"no terminal to ask for a password; set {PASSWORD_VARIABLE}")
    for _ in range(3):
        first = getpass.getpass(f"Password for {username} (at least 12 characters): ")
        try:
            _strong(first, username, "")
        except CommandError as error:
            print(f"  {error}; try again", file=sys.stderr)
            continue
        if getpass.getpass("Same password again: ") == first:
            return first
        print("  the two passwords differ; try again", file=sys.stderr)
    raise CommandError("no password set after three tries; no account was created")


def _strong(password: str, username: str, source: str) -> str:
    try:
        return check_strength(password, username=username)
    except WeakPassword as error:
        raise CommandError(f"{source}{error}") from None


def _list(accounts: AccountStore) -> int:
    for user in accounts.list_users():
        state = "disabled" if user["disabled"] else "active"
        second = "2FA" if user["totp_enabled"] else "no 2FA"
        print(f"{user['username']:<24} {user['role']:<8} {state:<9} {second}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the database tables")
    admin = commands.add_parser("admin", help="staff accounts")
    actions = admin.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a staff account")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--display-name", default=None)
    create.add_argument("--language", choices=("da", "en"), default="da")
    actions.add_parser("list", help="list the staff accounts")
    return parser
