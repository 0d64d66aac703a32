"""A plain progress line on stderr ("monte carlo: 350/1000 draws (35 %), 1.2 s, eta 2.3 s"),
redrawn in place at most five times a second. No dependency: a tqdm bar would add one for
a single line of text."""

from __future__ import annotations

import sys
import time


class Progress:
    """Call update(done) as work proceeds and close() at the end; silent when disabled."""

    def __init__(self, total: int, label: str = "monte carlo", unit: str = "draws",
                 enabled: bool | None = None, stream=None, every: float = 0.2):
        self.total = max(int(total), 1)
        self.label, self.unit = label, unit
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled
        self.every = every
        self.start = time.perf_counter()
        self._last = -1.0
        self.done = 0

    def update(self, done: int) -> None:
        self.done = done
        now = time.perf_counter()
        if not self.enabled or (now - self._last < self.every and done < self.total):
            return
        self._last = now
        elapsed = now - self.start
        eta = elapsed / done * (self.total - done) if done else float("nan")
        self.stream.write(f"\r{self.label}: {done}/{self.total} {self.unit} "
                          f"({100 * done / self.total:.0f} %), {elapsed:.1f} s, eta {eta:.1f} s ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.update(self.done)
            self.stream.write("\n")
            self.stream.flush()
