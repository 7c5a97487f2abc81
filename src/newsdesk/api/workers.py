"""Several service processes on one port, each with its own listening socket (``SO_REUSEPORT``).

uvicorn's own multi-process mode shares one listening socket: every worker waits on it and whichever wakes
first accepts the next connection. Keep-alive clients open their connections in a burst and keep them, so
the split is decided once, by a race, and is often lopsided: in the search load test (32 connections, two
workers) one worker regularly ended up with all the traffic while the other idled, and the service
saturated at half its capacity. Here each worker binds its own socket to the same address with
``SO_REUSEPORT``, and the kernel spreads new connections over the sockets by a hash of the client's
address and port, so the workers get an even share of connections whatever their timing.

:func:`serve_workers` is the supervisor: it starts the workers (fresh interpreters, each building the app
from the environment, as :func:`newsdesk.api.create_app` does), replaces one that dies, gives up when they
keep dying at start (the port is taken, the workspace is broken), and on SIGINT or SIGTERM stops them
gracefully (uvicorn finishes in-flight requests), killing those still running after ``grace`` seconds.
Where the platform lacks ``SO_REUSEPORT``, :func:`reuseport_supported` is false and ``newsdesk serve``
falls back to uvicorn's shared socket.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.connection import wait
from typing import Any

from newsdesk.errors import InvalidInput

__all__ = ["reuseport_supported", "serve_workers"]

_BACKLOG = 2048  # uvicorn's default listen backlog
_EARLY = 5.0  # a worker that dies sooner than this after starting "failed at start"

log = logging.getLogger("uvicorn.error")


def reuseport_supported() -> bool:
    """Whether this platform lets several sockets listen on one port with kernel load balancing."""
    return hasattr(socket, "SO_REUSEPORT")


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port) that other processes of this user may also bind."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(_BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _model_threads(workers: int) -> dict[str, str]:
    """The environment that caps each worker's model threads (OpenMP and MKL) at its share of the cores,
    unless the environment already sets them: N workers each running torch on every core oversubscribe the
    CPU, and the spinning threads starve each other (measured with 2 workers on 2 cores, 30 new queries a
    second: 43 ms of CPU per request and p99 156 ms uncapped; 26 ms and 35 ms capped)."""
    share = str(max(1, _cores() // workers))
    return {name: share for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS") if name not in os.environ}


def _worker(host: str, port: int, options: dict[str, Any]) -> None:
    """One service process: its own socket, the app built from the environment, uvicorn serving it."""
    import uvicorn

    from newsdesk.api.app import create_service_app

    sock = _listen(host, port)
    config = uvicorn.Config(create_service_app(), **options)
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(
    host: str, port: int, workers: int, options: dict[str, Any], *, grace: float = 30.0
) -> int:
    """Run ``workers`` service processes on ``host:port`` until SIGINT or SIGTERM; returns an exit code
    (0 after a requested stop, 1 when the workers kept failing at start)."""
    import uvicorn

    if workers < 1:
        raise InvalidInput("api.workers", workers, "an integer >= 1")
    # configures uvicorn's loggers in this process too (same format as the workers' lines)
    uvicorn.Config("newsdesk.api.app:create_app", factory=True, **options)
    try:
        _listen(host, port).close()  # fail here, once, when the address is taken or not ours
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", host, port, exc)
        return 1
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def request_stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}

    threads = _model_threads(workers)

    def start(slot: int) -> tuple[Any, float]:
        process = ctx.Process(
            target=_worker, args=(host, port, options), name=f"newsdesk-worker-{slot}", daemon=False
        )
        os.environ.update(threads)  # a spawned worker inherits this process's environment
        try:
            process.start()
        finally:
            for name in threads:
                os.environ.pop(name, None)
        return process, time.monotonic()

    procs = [start(slot) for slot in range(workers)]
    log.info("newsdesk: %d worker processes on http://%s:%d (one socket each)", workers, host, port)
    failures = 0
    code = 0
    try:
        while not stopping:
            wait([p.sentinel for p, _ in procs], timeout=1.0)
            for slot, (process, since) in enumerate(procs):
                if stopping or process.is_alive():
                    continue
                early = time.monotonic() - since < _EARLY
                failures = failures + 1 if early else 0
                if failures > 2 * workers:
                    log.error("newsdesk: workers keep failing at start (last exit code %s)", process.exitcode)
                    stopping, code = True, 1
                    break
                log.warning(
                    "newsdesk: worker %s (pid %s) exited with %s; starting another",
                    slot,
                    process.pid,
                    process.exitcode,
                )
                time.sleep(min(5.0, 0.5 * failures))
                procs[slot] = start(slot)
    finally:
        for process, _ in procs:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn drains in-flight requests
        deadline = time.monotonic() + grace
        for process, _ in procs:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code
