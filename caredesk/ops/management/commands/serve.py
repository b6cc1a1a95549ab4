"""caredesk serve: the web server (gunicorn) and a background worker, side by side."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server and a worker until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")

    def handle(self, *args: Any, bind: str, web_workers: int, no_worker: bool, **options: Any) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings")}
        bindir = os.path.dirname(sys.executable)
        procs = [
            subprocess.Popen(  # noqa: S603 -- fixed argv, no shell
                [
                    os.path.join(bindir, "gunicorn"),
                    "config.wsgi:application",
                    "--bind",
                    bind,
                    "--workers",
                    str(web_workers),
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "10",
                    # Load the application once in the master (config/wsgi.py imports the API):
                    # workers fork ready and share its memory.
                    "--preload",
                    # gunicorn 27's control socket is one path per user: two servers would clash.
                    "--no-control-socket",
                ],
                env=env,
            )
        ]
        if not no_worker:
            procs.append(subprocess.Popen([sys.executable, "-m", "caredesk.cli", "worker"], env=env))
        self.stdout.write(f"caredesk is running at http://{bind}/  (API docs: http://{bind}/api/docs)", ending="\n")
        self.stdout.flush()

        def stop(*_: object) -> None:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
