#!/usr/bin/env python3
"""Starts a throwaway MLflow tracking server for tests and tries, prints its URL, and stops it again.

    scripts/mlflow/server.py [--port P] [--dir DIR] [--startup-timeout S]

Runs `python -m mlflow server` with the Python running this script (the MLflow venv's: see
setup_venv.sh) on 127.0.0.1 and a free port (or P), one worker, a SQLite store at DIR/mlflow.db and
proxied artifacts under DIR/artifacts (DIR: a new temporary folder, removed at the end). Waits until
GET /health answers, then prints the URL as one line on stdout. The server (its whole process group)
is stopped when stdin closes -- so it dies with the process that started it, even one that crashed --
or on SIGTERM / SIGINT (Ctrl-C). The server's log is DIR/server.log; on a failed start its tail goes to
stderr and the exit status is 1.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url):
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stop(process):
    """SIGTERM to the server's process group, SIGKILL after 3 s (uvicorn waits for idle keep-alive
    connections to close; a throwaway server need not)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def start(port, folder, log):
    env = dict(os.environ)
    # The job runner (prompt optimisation, scorers) is a second process nobody here needs.
    env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", "sqlite:///" + os.path.join(folder, "mlflow.db"),
        "--artifacts-destination", os.path.join(folder, "artifacts"),
    ]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True, cwd=folder)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="the port (default: a free one)")
    parser.add_argument("--dir", help="where the store, artifacts and log go (default: a temporary folder, removed)")
    parser.add_argument("--startup-timeout", type=float, default=240, help="seconds to wait for /health")
    args = parser.parse_args()

    folder = args.dir or tempfile.mkdtemp(prefix="finetune-mlflow-")
    os.makedirs(folder, exist_ok=True)
    log_path = os.path.join(folder, "server.log")
    log = open(log_path, "ab")
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    process = start(port, folder, log)
    done = threading.Event()

    def finish(*_):
        done.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    try:
        deadline = time.monotonic() + args.startup_timeout
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline or done.is_set():
                log.flush()
                with open(log_path, "rb") as text:
                    tail = text.read()[-4000:].decode("utf-8", "replace")
                reason = (f"exited with status {process.returncode}" if process.poll() is not None
                          else "was stopped" if done.is_set() else f"did not answer {url}/health within {args.startup_timeout:.0f} s")
                print(f"error: the MLflow server ({sys.executable} -m mlflow server) {reason}; its log "
                      f"({log_path}):\n{tail}", file=sys.stderr)
                return 1
            time.sleep(0.25)
        print(url, flush=True)

        def watch_stdin():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except (OSError, ValueError):
                pass
            done.set()

        threading.Thread(target=watch_stdin, daemon=True).start()
        while not done.wait(1):
            if process.poll() is not None:
                print(f"error: the MLflow server exited with status {process.returncode}; see {log_path}", file=sys.stderr)
                return 1
        return 0
    finally:
        stop(process)
        log.close()
        if not args.dir:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
