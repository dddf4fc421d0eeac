"""Webhook deliveries per second: four outbox workers (processes) on PostgreSQL delivering to a loopback receiver,
beside the floor: the same receiver fed by a plain loop of signed POSTs in one process, in the same run.

    .venv/bin/python bench/outbox.py [--messages 4000] [--workers 4]

The receiver is a threading HTTP server in its own process that answers 200 to every POST. Goal (issue 14): at
least 500 messages/s with four workers.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sqlalchemy as sa

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
URL = PG_ADMIN.rsplit("/", 1)[0] + "/bench_outbox"


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def _serve(port_queue: multiprocessing.Queue) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def _app():  # noqa: ANN202 - a Flask app
    from evaluation import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": URL})


def _prepare(n: int, hook: str) -> None:
    from flask_migrate import upgrade

    from evaluation.accounts.operations import create_client
    from evaluation.extensions import db
    from evaluation.publication.models import OutboxMessage

    app = _app()
    with app.app_context():
        upgrade()
        client = create_client("bench", ["assessments:read"], hook)[0]
        data = {
            "id": "x" * 36,
            "verdict": "upheld",
            "total": 71.5,
            "criteria": {f"C{i}": {"n": 5, "mean": 2.0} for i in range(9)},
        }
        now = datetime.now(UTC).isoformat()
        db.session.execute(
            sa.insert(OutboxMessage),
            [
                {
                    "event": "assessment.published",
                    "client_id": client.id,
                    "payload": {"type": "assessment.published", "timestamp": now, "data": data},
                }
                for _ in range(n)
            ],
        )
        db.session.commit()
        db.engine.dispose()


def _worker(_index: int) -> None:
    from evaluation.extensions import db
    from evaluation.publication.outbox import deliver_due

    app = _app()
    with app.app_context():
        while deliver_due(limit=50):
            pass
        db.engine.dispose()


def _floor(n: int, hook: str) -> float:
    """The same number of signed POSTs from one loop, no database."""
    from evaluation.publication.outbox import signature

    secret = "whsec_" + "A" * 43
    body = json.dumps({"type": "assessment.published", "data": {"id": "x" * 36}}).encode()
    started = time.perf_counter()
    for i in range(n):
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": str(i),
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, str(i), timestamp, body),
        }
        request = urllib.request.Request(hook, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    return time.perf_counter() - started


def main() -> None:
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS bench_outbox"))
        conn.execute(sa.text("CREATE DATABASE bench_outbox"))
    admin.dispose()
    ports: multiprocessing.Queue = multiprocessing.Queue()
    receiver = multiprocessing.Process(target=_serve, args=(ports,), daemon=True)
    receiver.start()
    hook = f"http://127.0.0.1:{ports.get(timeout=30)}/hooks"
    try:
        _prepare(args.messages, hook)
        started = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            pool.map(_worker, range(args.workers))
        seconds = time.perf_counter() - started
        floor = _floor(args.messages, hook)
    finally:
        receiver.terminate()
    rate, floor_rate = args.messages / seconds, args.messages / floor
    print(f"{'':28} {'messages':>9} {'seconds':>8} {'per second':>11}")
    print(
        f"{f'outbox, {args.workers} workers, PostgreSQL':28} {args.messages:>9,} {seconds:>8.2f} {rate:>11,.0f}"
    )
    print(f"{'floor: one loop of POSTs':28} {args.messages:>9,} {floor:>8.2f} {floor_rate:>11,.0f}")
    print(f"ratio to the floor: {rate / floor_rate:.2f}; goal ≥ 500/s: {'met' if rate >= 500 else 'MISSED'}")


if __name__ == "__main__":
    main()
