from __future__ import annotations

import json
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from evaluation.accounts.models import Role
from evaluation.accounts.operations import AccountError, create_user
from evaluation.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help=f"Role to grant; repeat or separate with commas ({', '.join(r.value for r in Role)}).",
)
@click.option("--department", "department_code", help="Code of the user's department (department users).")
@click.option("--name", "display_name", help="The name shown in the interface.")
@click.option("--email", help="E-mail address for notifications.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(
    username: str,
    roles: tuple[str, ...],
    department_code: str | None,
    display_name: str | None,
    email: str | None,
    password_stdin: bool,
) -> None:
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


clients_cli = AppGroup("clients", help="Manage API clients (the main system's tokens and webhooks).")


@clients_cli.command("create")
@click.argument("name")
@click.option(
    "--scopes", required=True, help="Comma-separated: cases:write, departments:write, assessments:read."
)
@click.option("--webhook", help="URL that receives published assessments (signed with the webhook secret).")
@click.option("--json", "as_json", is_flag=True, help='Print {"token": …, "webhook_secret": …}.')
def create_client_command(name: str, scopes: str, webhook: str | None, as_json: bool) -> None:
    """Create client NAME; its token (and webhook secret) are printed once and stored only hashed/encrypted."""
    from evaluation.accounts.operations import create_client

    try:
        client, token, secret = create_client(
            name, [s.strip() for s in scopes.split(",") if s.strip()], webhook
        )
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    if as_json:
        click.echo(json.dumps({"token": token, "webhook_secret": secret}))
        return
    click.echo(f"created client {client.name} with scopes {', '.join(client.scopes)}")
    click.echo(f"token: {token}")
    if secret:
        click.echo(f"webhook secret: {secret}")
    click.echo("Store these now: they are not shown again.")


@clients_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_clients_command(as_json: bool) -> None:
    """List the API clients."""
    from evaluation.accounts.models import ApiClient

    clients = db.session.scalars(sa.select(ApiClient).order_by(ApiClient.name)).all()
    rows = [
        {
            "name": c.name,
            "scopes": list(c.scopes),
            "webhook": c.webhook_url,
            "created": c.created_dt.isoformat(),
            "last_used": c.last_used_dt.isoformat() if c.last_used_dt else None,
            "revoked": c.revoked_dt.isoformat() if c.revoked_dt else None,
        }
        for c in clients
    ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = f"revoked {row['revoked'][:10]}" if row["revoked"] else "active"
        click.echo(f"{row['name']}\t{','.join(row['scopes'] or [])}\t{row['webhook'] or '-'}\t{state}")


@clients_cli.command("revoke")
@click.argument("name")
def revoke_client_command(name: str) -> None:
    """Revoke client NAME's token at once."""
    from evaluation.accounts.operations import revoke_client

    try:
        revoke_client(name)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"revoked client {name}")


@clients_cli.command("rotate-secret")
@click.argument("name")
@click.option("--grace-hours", default=24, show_default=True, help="How long the old secret still signs.")
@click.option("--json", "as_json", is_flag=True, help='Print {"webhook_secret": …, "old_secret_until": …}.')
def rotate_secret_command(name: str, grace_hours: int, as_json: bool) -> None:
    """Issue client NAME a new webhook secret; until the grace period ends, deliveries carry two signatures,
    one with each secret, so the receiver can switch at its own pace."""
    from evaluation.accounts.operations import rotate_webhook_secret

    try:
        secret, until = rotate_webhook_secret(name, grace_hours)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    if as_json:
        click.echo(json.dumps({"webhook_secret": secret, "old_secret_until": until.isoformat()}))
        return
    click.echo(f"webhook secret: {secret}")
    click.echo(
        f"the old secret signs too until {until.isoformat()}; store the new one now: it is not shown again."
    )
