"""Flask CLI commands: ``flask --app wsgi accounts credit-due``, ``admin link``, ``demo``, ``prepare``,
``secrets``, ``security matrix``, ``tickets``, ``push``, ``sync``."""

from flask import Flask


def register_cli(app: Flask) -> None:
    from server.cli.accounts import accounts_group
    from server.cli.admin import admin_group
    from server.cli.demo import demo_command
    from server.cli.prepare import prepare_command
    from server.cli.push import push_group
    from server.cli.secrets import secrets_group
    from server.cli.security import security_group
    from server.cli.sync import sync_group
    from server.cli.tickets import tickets_group

    app.cli.add_command(accounts_group)
    app.cli.add_command(admin_group)
    app.cli.add_command(demo_command)
    app.cli.add_command(prepare_command)
    app.cli.add_command(push_group)
    app.cli.add_command(secrets_group)
    app.cli.add_command(security_group)
    app.cli.add_command(sync_group)
    app.cli.add_command(tickets_group)
