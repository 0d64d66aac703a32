"""Progress bars for long jobs: the one progress module is flowgraph/solvers/progress.py
(tqdm on stderr, silent when nobody watches); this re-exports what the study uses.

    with progress_bar(1000, "sweep", "run", enabled=None) as bar:
        bar.update(64)                      # increments, as tqdm counts
"""

from __future__ import annotations

from ...solvers.progress import Silent, interactive, progress_bar

__all__ = ["Silent", "interactive", "progress_bar"]
