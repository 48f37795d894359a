"""``python -m sagecraft.executors.algorithms.model_monitor``: the analyzer (analyzer.py)."""

import sys

from sagecraft.executors.algorithms.model_monitor.analyzer import main

sys.exit(main())
