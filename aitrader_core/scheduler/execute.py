"""Execute a notebook with papermill in a kernel that sees the runner's Settings.

The only module of the core that imports papermill (lazily): the scheduler is
the papermill face's driver, like the CLI is typer's. The kernel gets

- the runner's :class:`~aitrader_core.settings.Settings` as ``AITRADER_*``
  variables (paths made absolute, ``AITRADER_LIVE_ENABLED=false``), so the
  notebook's ``App.from_settings()`` opens the store and home the run records
  go to, whatever the caller's environment or working directory says;
- the run folder as its working directory (set through nbclient, not
  ``os.chdir``: concurrent runs in one process stay apart), so a stray
  relative write lands in the run record, not in a read-only image;
- offline, headless defaults (``BOKEH_RESOURCES=inline``, ``HF_HUB_OFFLINE=1``,
  a ``NUMBA_CACHE_DIR`` under the home) unless the environment sets them
  (a relative ``NUMBA_CACHE_DIR`` is made absolute, so compiled code is reused).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from aitrader_core.settings import Settings

__all__ = ["declared_parameters", "describe_error", "execute", "kernel_env", "kernel_name"]

PREFERRED_KERNEL = "aitrader"  # installed by `make install` and in the image; else python3


def kernel_name() -> str:
    """``aitrader`` when that kernel is installed, else ``python3``."""
    from jupyter_client.kernelspec import KernelSpecManager

    found = KernelSpecManager().find_kernel_specs()
    return PREFERRED_KERNEL if PREFERRED_KERNEL in found else "python3"


def kernel_env(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: ``base`` (default ``os.environ``) with ``settings`` in it.

    Every ``AITRADER_*`` variable of ``base`` is replaced by the settings' own
    values, so the kernel cannot read another store than the runner's.

    Examples
    --------
    >>> s = Settings(home="/tmp/aitrader-doc", _env_file=None)
    >>> env = kernel_env(s, {"AITRADER_DB_URL": "sqlite:///elsewhere.db", "PATH": "/bin"})
    >>> env["AITRADER_HOME"], env["AITRADER_LIVE_ENABLED"], env["PATH"]
    ('/tmp/aitrader-doc', 'false', '/bin')
    >>> "AITRADER_DB_URL" in env, env["NUMBA_CACHE_DIR"]
    (False, '/tmp/aitrader-doc/.cache/numba')
    """
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if not k.startswith("AITRADER_")}  # fmt: skip
    for name in type(settings).model_fields:
        value: Any = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, Path):
            value = value.resolve()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[f"AITRADER_{name.upper()}"] = str(value)
    env["AITRADER_LIVE_ENABLED"] = "false"  # a notebook never starts the trading loop
    # absolute: the kernel runs in the run folder, where a relative path would mean a new cache
    numba = env.get("NUMBA_CACHE_DIR") or settings.home / ".cache" / "numba"
    env["NUMBA_CACHE_DIR"] = str(Path(numba).resolve())
    env.setdefault("BOKEH_RESOURCES", "inline")
    env.setdefault("HF_HUB_OFFLINE", "1")
    return env


def declared_parameters(notebook: str | Path) -> dict[str, str]:
    """The names in ``notebook``'s ``parameters`` cell with their default's source."""
    import papermill

    return {name: p["default"] for name, p in papermill.inspect_notebook(str(notebook)).items()}


def execute(
    notebook: str | Path,
    output: str | Path,
    parameters: Mapping[str, Any],
    *,
    cwd: str | Path,
    env: Mapping[str, str],
    kernel: str | None = None,
    progress: bool = False,
    cell_timeout: int | None = None,
) -> None:
    """Run ``notebook`` into ``output`` with ``parameters`` injected.

    Raises papermill's ``PapermillExecutionError`` when a cell fails, after
    writing ``output`` with every output so far and the failing cell's
    traceback (papermill also saves after each cell, so a killed run leaves
    its progress).
    """
    import papermill

    name = kernel or kernel_name()
    papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters=dict(parameters),
        kernel_name=name,
        progress_bar=progress,
        request_save_on_cell_execute=True,
        execution_timeout=cell_timeout,
        kernel_manager_class=_kernel_manager_class(dict(env)),
        resources={"metadata": {"path": str(cwd)}},
    )


def describe_error(exc: BaseException) -> str:
    """One line for the run record: papermill's failing cell and error, or the exception.

    Examples
    --------
    >>> describe_error(RuntimeError("kernel died\\nwith details"))
    'RuntimeError: kernel died'
    """
    ename = getattr(exc, "ename", None)
    if ename is not None:  # papermill's PapermillExecutionError
        first = str(getattr(exc, "evalue", "")).strip().splitlines()
        return f"{ename}: {first[0] if first else ''} (cell {getattr(exc, 'exec_count', '?')})"
    first = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {first[0]}" if first else type(exc).__name__


def _kernel_manager_class(env: dict[str, str]) -> type[Any]:
    """A kernel manager starting its kernel with ``env`` (jupyter_client copies ``os.environ``).

    A class, not an instance: nbclient then owns the manager and shuts the
    kernel down after the run, failed or not.
    """
    import zmq
    from jupyter_client.manager import AsyncKernelManager

    # CurveZMQ keys when the kernelspec supports them (ipykernel does): no plain-text
    # traffic on the loopback, and no warning in every run's log.
    encryption = "auto" if zmq.has("curve") else "disabled"

    class KernelWithEnv(AsyncKernelManager):
        def __init__(self, **kw: Any) -> None:
            kw.setdefault("transport_encryption", encryption)
            super().__init__(**kw)

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw["env"] = dict(env)
            await super().start_kernel(**kw)

    return KernelWithEnv
