"""python -m processing.local run FILE...: files through the whole state machine, locally.

Each file is stored as an upload in a temporary directory, announced by the S3 notification the
bucket would send, and processed to its end; the final status, the rejection reason if any, and the
stored results item (as JSON) are printed per file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path

from processing.keys import UploadKey
from processing.local.worker import work_once
from processing.runtime import PipelineConfig, configured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m processing.local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run files through the state machine")
    run.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)

    # The environment's configuration (limits, sizes, models), run locally in a scratch var/:
    # installed for the handlers this process calls, not written into os.environ.
    # An aws-mode environment's default recognizer is Rekognition; here it is the local models.
    environment = PipelineConfig.from_environment()
    recognizer = "local" if environment.backend == "aws" else environment.recognizer_name
    scratch_config = replace(environment, backend="local", recognizer_name=recognizer)
    with (
        tempfile.TemporaryDirectory(prefix="photoshare-") as scratch,
        configured(replace(scratch_config, var_dir=Path(scratch))) as settings,
    ):
        bucket, queue = settings.local_bucket(), settings.local_queue()
        uploads = []
        for path in args.files:
            extension = (path.suffix.lstrip(".") or "bin").lower()
            key = UploadKey("local", "cli", str(uuid.uuid4()), extension)
            data = path.read_bytes()
            bucket.put_object(str(key), data, content_type="application/octet-stream")
            uploads.append((path, key))
        while work_once(queue, settings):
            pass
        items = settings.result_store().get_many(key.photo_id for _, key in uploads)
        for path, key in uploads:
            item = items.get(key.photo_id)
            status = item.status.value if item else "MISSING"
            reason = f" ({item.rejection_reason}: {item.message})" if item and item.message else ""
            print(f"{path}: {status}{reason}")
            print(json.dumps(item.to_item() if item else None, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
