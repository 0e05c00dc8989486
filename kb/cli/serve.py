"""`kb serve`: the same knowledge base in a browser."""

from __future__ import annotations

import gc

import click

from kb.cli.app import App, pass_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--read-only", is_flag=True, help="Refuse every change (403).")
@pass_app
def serve(app: App, host: str, port: int, read_only: bool) -> None:
    """Serve the knowledge base in a browser: claims, sources, comparisons, citations.

    It prints an address with a token (http://HOST:PORT/?token=...); the first visit trades
    the token for a session cookie. Without it every page is refused, on 127.0.0.1 as
    anywhere: other users of the machine reach the port too.

    \b
    Example:
      kb serve
      kb --db team.sqlite3 serve --port 8080 --read-only
    """
    import secrets
    import socket

    try:
        import uvicorn

        from kb.web.access import Access
        from kb.web.app import create_app, warm_up
    except ImportError as exc:
        raise click.ClickException(
            f"kb serve needs the web extra ({exc.name} is missing): pip install 'kb[web]'"
        ) from None
    database = app.database  # created and migrated now, not on the first request
    if port == 0:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
    token = secrets.token_urlsafe(24)
    web = create_app(database, Access(token=token, read_only=read_only, port=port))
    warm_up(web, token)  # the first visits' compiling, done before anyone waits on it
    # What is loaded now (modules, mapped classes, templates) lives as long as the server: the
    # collector stops walking it, whose full collections held a page up to ~50 ms at 100k.
    gc.freeze()
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"kb serving {database.display_name}{' read-only' if read_only else ''} at:")
    click.echo(f"http://{shown}:{port}/?token={token}")
    click.echo("(the token is the key: share it only with whom may read and write)", err=True)
    uvicorn.run(web, host=host, port=port, log_level="warning")


COMMANDS = [serve]
