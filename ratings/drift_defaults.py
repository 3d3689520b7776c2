"""The rater drift statistic's default block size and threshold.

Apart from `ratings.stats.drift`, which uses them, so that the calibration service and the
forms that offer them as defaults read them without importing the statistics stack at start-up.
"""

from __future__ import annotations

DEFAULT_BLOCK_SIZE = 10
DEFAULT_DRIFT_THRESHOLD = 0.75
