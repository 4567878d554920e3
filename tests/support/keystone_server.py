"""Serves Keystone's public WSGI application on loopback, for the tests.

Run by tests/support/keystone.rs with the venv's python:

    python keystone_server.py CONFIG_FILE PORT [CLEANUP_DIR]

Keystone (PyPI `keystone`) has no server of its own any more: in production
it runs under uWSGI or Apache mod_wsgi. This runner loads the same Flask
application (`keystone.server.flask.core.initialize_application`, what
`keystone.server.wsgi.initialize_public_application` calls) and serves it with
the standard library's wsgiref, one thread per connection, on 127.0.0.1:PORT,
running Keystone itself for one request at a time (see `one_at_a_time`).

It exits when its stdin reaches end-of-file, so a Keystone started by a test
process dies with that process even when nothing drops its handle (a
`static`): the test keeps the write end of the pipe open for its lifetime.
On the way out it removes CLEANUP_DIR (the instance's database, keys and log),
which nothing else would remove for a `static`.
"""

import os
import shutil
import socketserver
import sys
import threading
from wsgiref import simple_server


def exit_on_stdin_eof(cleanup_dir):
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        if cleanup_dir:
            shutil.rmtree(cleanup_dir, ignore_errors=True)
        os._exit(0)


class ThreadingWSGIServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    # Several test threads may connect at once while Keystone is busy.
    request_queue_size = 64


def one_at_a_time(app):
    """Runs `app` for one request at a time.

    Keystone's database here is SQLite, which fails a transaction that wants
    to write while another one writes ("database is locked", an HTTP 500)
    instead of waiting, e.g. two logins at once both updating a user's
    `last_active_at`. Requests still arrive on their own threads, and with
    Keystone's in-process cache most take ~20 ms, so queueing them is cheap.
    """
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            result = app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return [body]

    return serialized


class QuietHandler(simple_server.WSGIRequestHandler):
    """No access log, unless HYTOP_KEYSTONE_ACCESS_LOG is set (then one line
    per request goes to stderr, i.e. the instance's log file)."""

    access_log = bool(os.environ.get("HYTOP_KEYSTONE_ACCESS_LOG"))

    def log_message(self, format, *args):
        if self.access_log:
            sys.stderr.write(f"access: {format % args}\n")


def starting(environ, start_response):
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"keystone is starting\n"]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: keystone_server.py CONFIG_FILE PORT [CLEANUP_DIR]")
    # Named as given in every answer (see `dispatch`).
    instance = sys.argv[1]
    config_file = os.path.abspath(sys.argv[1])
    port = int(sys.argv[2])
    cleanup_dir = sys.argv[3] if len(sys.argv) == 4 else None

    threading.Thread(
        target=exit_on_stdin_eof, args=(cleanup_dir,), daemon=True
    ).start()

    # Take the port before the slow import (the test picked a free port, and
    # the sooner it is ours the less another process can take it), answering
    # 503 until Keystone is loaded. Every answer names this instance's config
    # file, so the test knows it reached this server and not another one that
    # took the port first.
    current = {"app": starting}

    def dispatch(environ, start_response):
        def start(status, headers, exc_info=None):
            headers.append(("X-Hytop-Keystone-Config", instance))
            return start_response(status, headers, exc_info)

        return current["app"](environ, start)

    server = simple_server.make_server(
        "127.0.0.1",
        port,
        dispatch,
        server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()

    # oslo.config parses sys.argv when keystone configures itself: hide ours.
    sys.argv = [sys.argv[0]]
    from keystone.server.flask import core as flask_core

    app = flask_core.initialize_application(
        name="public", config_files=[config_file]
    )
    current["app"] = one_at_a_time(app)
    print(f"keystone_server: serving on http://127.0.0.1:{port}/v3", flush=True)
    # Serving happens on the server's thread; this one only waits for the
    # stdin watcher to end the process.
    threading.Event().wait()


if __name__ == "__main__":
    main()
