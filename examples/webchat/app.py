"""A small chat page served by Flask, with ugsdk the only contact-center code on the server.

Run it against the sandbox server (two terminals)::

    ugsdk sandbox serve --port 8080
    UGSDK_COMPANY_ID=sandbox UGSDK_HOST=http://127.0.0.1:8080 \\
    UGSDK_COMPANY_SECRET=sandbox-company-secret-not-for-production \\
        python examples/webchat/app.py --port 5000

then open http://127.0.0.1:5000/. The page picks a menu, starts a chat, sends text and files,
shows messages and typing live (server-sent events from ``/ugsdk/events``), offers to resume a
dismissed chat, and to finish and rate it. Visitors chat as guests (a random id in the Flask
session); the chat itself is kept in the store (process memory here; set
``UGSDK_REDIS_URL`` to share it between workers).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Mapping, Optional, Sequence

from flask import Flask, render_template

from ugsdk.contrib.flask import UGSDK

HERE = os.path.dirname(os.path.abspath(__file__))


def create_app(config: Optional[Mapping[str, Any]] = None) -> Flask:
    """The web chat app.

    Args:
        config: Flask config values over the defaults (``UGSDK_*`` keys override the
            environment variables of the same names).
    """
    app = Flask(__name__, template_folder=os.path.join(HERE, "templates"), static_folder=os.path.join(HERE, "static"))
    app.config.update(
        # The session holds only the guest's random id; set a real secret in production.
        SECRET_KEY=os.environ.get("WEBCHAT_SECRET_KEY", "webchat-example-only"),
        UGSDK_ALLOW_ANONYMOUS=True,
        UGSDK_REDIS_URL=os.environ.get("UGSDK_REDIS_URL"),
    )
    app.config.update(config or {})
    UGSDK(app)

    @app.get("/")
    def index() -> str:
        return render_template("index.html")

    return app


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Serve the page (``--host``, ``--port``)."""
    parser = argparse.ArgumentParser(description="ugsdk web chat example")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    app = create_app()
    # threaded: each open event stream holds a worker while it lasts.
    app.run(host=args.host, port=args.port, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
