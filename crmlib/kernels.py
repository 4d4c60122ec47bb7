"""The kernels a run is executing, so notebooks can run side by side and Ctrl-C stops them all.

Notebooks run on worker threads (:func:`crmlib.runner.run_in_parallel`); the kernels are their
own processes in their own sessions, so a Ctrl-C reaches only the runner. :func:`stop_all`
terminates every running kernel (a SIGINT would make a kernel still starting print a traceback);
papermill then sees a dead kernel and the notebook's thread ends.
"""
from __future__ import annotations

import os
import signal
import threading

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

ENGINE_NAME = "crm"
_running: set[PapermillNotebookClient] = set()
_lock = threading.Lock()
#: Set by :func:`stop_all`: the run is stopping, so a notebook that ends now is not exported.
stopping = threading.Event()


class TrackedClient(PapermillNotebookClient):
    """papermill's notebook client, listed among the running ones while it executes."""

    def execute(self, **kwargs):
        with _lock:
            _running.add(self)
        try:
            return super().execute(**kwargs)
        finally:
            with _lock:
                _running.discard(self)


class TrackedEngine(NBClientEngine):
    """papermill's nbclient engine with :class:`TrackedClient` (same arguments as papermill's)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                    startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                    log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        return TrackedClient(nb_man, **final_kwargs).execute()


def reset() -> None:
    """A new run: not stopping."""
    stopping.clear()
    logger.disabled = False


def stop_all() -> int:
    """Terminate every running kernel (papermill's "kernel died" log silenced); how many were signalled."""
    stopping.set()
    logger.disabled = True
    with _lock:
        clients = list(_running)
    stopped = 0
    for client in clients:
        provisioner = getattr(client.km, "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        if not pid:
            continue
        try:
            os.kill(pid, signal.SIGTERM)
            stopped += 1
        except OSError:
            pass  # already gone
    return stopped


papermill_engines.register(ENGINE_NAME, TrackedEngine)
