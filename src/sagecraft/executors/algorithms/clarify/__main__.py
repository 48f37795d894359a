"""``python -m sagecraft.executors.algorithms.clarify``: the analyzer (analyzer.py)."""

import sys

from sagecraft.executors.algorithms.clarify.analyzer import main

sys.exit(main())
