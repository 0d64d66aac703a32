"""How a flow's quantity is specified, as codes in the compiled arrays: unknown (fixed by the
balances), a known quantity, a share (transfer coefficient) or a recipe (per another flow)."""

import numpy as np

FREE, KNOWN, SHARE, PER = 0, 1, 2, 3
SPEC_NAMES = np.array(["unknown", "quantity", "share", "per"])
