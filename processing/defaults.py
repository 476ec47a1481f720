"""The pipeline's default settings, in a module that imports nothing.

The composition root (processing.runtime) names them without importing the steps and adapters
that use them, so a handler that only writes an item never loads Pillow, NumPy or botocore's
Rekognition model just to learn a default.
"""

from __future__ import annotations

THUMBNAIL_SIZES = (250, 1024)
THUMBNAIL_QUALITY = 85
RECOGNITION_MAX_LABELS = 10  # as the reference architecture
RECOGNITION_MIN_CONFIDENCE = 60.0
# Box crops the local classifier reads for its second opinion, besides the whole picture: the
# strongest box's. Each more costs about 4.5 ms and changed no label on the labelled photos
# (docs/models.md); 0 reads none.
RECOGNITION_CROPS = 1
SWEEP_AFTER_SECONDS = 900  # a photo RUNNING longer than this gets looked at (processing.sweeper)
SWEEP_HARD_LIMIT_SECONDS = 3600  # an execution still running after this is stopped
