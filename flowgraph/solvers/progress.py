"""Progress bars for long jobs (tqdm; tqdm.auto draws a widget in notebooks), on stderr,
never on stdout (which may be machine-readable output): one line, redrawn in place at most
five times a second,

    monte carlo: 350/1000 draws (35 %), 00:01, eta 00:02

Silent when disabled, and by default when stderr is not a terminal and the job does not run
in a notebook. Two ways to drive one:

    bar = Progress(1000, "monte carlo", "draws")    # update(done): how many are done
    with progress_bar(1000, "sweep", "run") as bar:  # update(n): n more done, as tqdm counts
        bar.update(64)
"""

from __future__ import annotations

import sys

BAR_FORMAT = "{desc}: {n_fmt}/{total_fmt} {unit} ({percentage:.0f} %), {elapsed}, eta {remaining} "


def interactive(stream=None) -> bool:
    """Whether a person watches: the stream is a terminal, or this is a notebook kernel."""
    stream = stream if stream is not None else sys.stderr
    if getattr(stream, "isatty", lambda: False)():
        return True
    shell = sys.modules.get("IPython")
    ip = shell.get_ipython() if shell is not None and hasattr(shell, "get_ipython") else None
    return type(ip).__name__ == "ZMQInteractiveShell"


def progress_bar(total: int, label: str, unit: str, enabled: bool | None = None,
                 stream=None, initial: int = 0, every: float = 0.2):
    """A tqdm bar of `total` `unit`s on stderr, or a silent stand-in with the same calls
    (update(n) adds n, set_postfix_str, close; a context manager). enabled None: when
    interactive(stream)."""
    stream = stream if stream is not None else sys.stderr
    if enabled is None:
        enabled = interactive(stream)
    if not enabled:
        return Silent()
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=label, unit=unit, file=stream, initial=initial,
                bar_format=BAR_FORMAT, mininterval=every, dynamic_ncols=True, smoothing=0.1)


class Silent:
    """A progress bar that shows nothing."""

    n = 0

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Progress:
    """Call update(done) with how many are done as work proceeds, and close() at the end;
    silent when disabled (default: when nobody watches stderr, see interactive)."""

    def __init__(self, total: int, label: str = "monte carlo", unit: str = "draws",
                 enabled: bool | None = None, stream=None, every: float = 0.2):
        self.total = max(int(total), 1)
        self.label, self.unit = label, unit
        self.stream = stream if stream is not None else sys.stderr
        self.bar = progress_bar(self.total, label, unit, enabled, self.stream, every=every)
        self.enabled = not isinstance(self.bar, Silent)
        self.done = 0

    def update(self, done: int) -> None:
        """`done` of the total are done (a count, not an increment)."""
        if done > self.done:
            self.bar.update(done - self.done)
        self.done = max(self.done, done)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
