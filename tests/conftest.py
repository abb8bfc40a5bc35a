from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The archived article texts live beside the project when it is checked out in its
# workplace; the provenance test runs only when they are there (or named by the variable).
ARTICLES = Path(os.environ.get("DATAPACKAGE_SNAPSHOTS", ROOT.parent / "shared" / "sources" / "articles"))

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
