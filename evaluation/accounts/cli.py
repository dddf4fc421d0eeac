from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from evaluation.accounts.models import Role
from evaluation.accounts.operations import AccountError, create_user
from evaluation.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True,
              help=f"Role to grant; repeat or separate with commas ({', '.join(r.value for r in Role)}).")
@click.option("--department", "department_code", help="Code of the user's department (department users).")
@click.option("--name", "display_name", help="The name shown in the interface.")
@click.option("--email", help="E-mail address for notifications.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(username: str, roles: tuple[str, ...], department_code: str | None, display_name: str | None,
                   email: str | None, password_stdin: bool) -> None:
    """Create a user USERNAME with one or more roles."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise click.ClickException("no terminal to ask for a password; use --password-stdin")
    role_list = [r.strip() for value in roles for r in value.split(",") if r.strip()]
    try:
        user = create_user(username, password, role_list, department_code, display_name, email)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"created user {user.username} with roles {', '.join(sorted(r.value for r in user.roles))}")
