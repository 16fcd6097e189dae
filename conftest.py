"""Settings for every test run, the doctests in ``src/`` included.

OpenMP threads wait by sleeping (``OMP_WAIT_POLICY=PASSIVE``), as
``relgraph/__init__`` asks for when imported. A test module may import torch
before relgraph, and OpenMP reads the variable once, when torch loads it:
without this line torch's threads spin while they wait, and on two cores
shared with other work a small GNN fit took 6 to 10 times as long (77 s and
137 s instead of 12 s and 13 s for two tests of ``tests/models/test_gnn.py``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
