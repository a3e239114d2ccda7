"""Serving the dashboard (`newsmarks serve`, `python app.py`): the listening socket is bound first,
so that a port in use is one clear line before anything starts (no store opened, no refresh, no
URL printed); the app is then served on that socket by werkzeug's threaded server, as `app.run`
serves it."""

from __future__ import annotations

import errno
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dash import Dash


class ServeError(Exception):
    """The dashboard cannot listen where it was asked to; the message says why, in one line."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port and listening (SO_REUSEADDR, as werkzeug sets it: a port
    whose last connections are closing is free); ServeError when the port is taken or the
    address cannot be used."""
    from werkzeug.serving import LISTEN_QUEUE, get_sockaddr, select_address_family

    try:
        family = select_address_family(host, port)
        address = get_sockaddr(host, port, family)
    except OSError as exc:   # a host name that does not resolve
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(LISTEN_QUEUE)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {host} is already in use: stop the program using it, "
                             "or choose another port with --port") from None
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def serve_on(app: Dash, sock: socket.socket, debug: bool = False) -> None:
    """Serve `app` on the listening `sock` until Ctrl-C (werkzeug's threaded server; with `debug`,
    Dash's dev tools and werkzeug's debugger, as `app.run(debug=True)` has them)."""
    from werkzeug.serving import make_server

    wsgi = app.server
    if debug:
        from werkzeug.debug import DebuggedApplication

        app.enable_dev_tools(debug=True)
        app.server.debug = True
        wsgi = DebuggedApplication(app.server, evalex=True)
    host, port = sock.getsockname()[:2]
    server = make_server(host, port, wsgi, threaded=True, fd=sock.fileno())
    sock.close()   # the server holds its own copy of the socket
    server.serve_forever()
