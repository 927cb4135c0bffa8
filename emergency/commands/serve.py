"""emergency serve: the web application."""
from __future__ import annotations

import click

from emergency.commands.common import App, command


@command(None, "serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=int, help="Web worker processes.")
def serve(app: App, host: str, port: int, workers: int) -> None:
    """The web application: confirmation pages, provider webhooks, the simulator."""
    import uvicorn

    app.require_schema()
    click.echo(f"serving on http://{host}:{port} (links and callbacks use EMERGENCY_PUBLIC_URL = "
               f"{app.settings.public_url})", err=True)
    uvicorn.run("emergency.web.main:app", host=host, port=port, workers=workers, log_level="info",
                proxy_headers=True, access_log=False)
