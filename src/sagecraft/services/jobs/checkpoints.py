"""CheckpointConfig: /opt/ml/checkpoints (or its LocalPath) kept in step with an S3 prefix.

Before the job starts the prefix is copied into the folder (a restarted spot job resumes from it);
while it runs and after it ends, new or changed files are copied back. Nothing is deleted on
either side, as SageMaker's sync does not.
"""

from __future__ import annotations

from pathlib import Path

from sagecraft.services.jobs.staging import S3Uri, download, files_under, list_prefix, safe_join, upload_file
from sagecraft.storage.objects.base import ObjectStore


class CheckpointSync:
    def __init__(self, store: ObjectStore, uri: str, folder: Path) -> None:
        parsed = S3Uri.parse(uri)
        # The URI names a folder: its objects land relative to it, with or without a trailing "/".
        self.uri = S3Uri(parsed.bucket, parsed.key.rstrip("/") + "/" if parsed.key.strip("/") else "")
        self.store = store
        self.folder = folder
        self._seen: dict[str, tuple[int, int]] = {}

    def download(self) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for item in list_prefix(self.store, self.uri):
            target = safe_join(self.folder, item.relative)
            download(self.store, item.bucket, item.key, target)
            self._seen[item.relative] = _stamp(target)
            count += 1
        return count

    def upload_changed(self) -> int:
        count = 0
        for path in files_under(self.folder):
            relative = path.relative_to(self.folder).as_posix()
            try:
                stamp = _stamp(path)
            except FileNotFoundError:  # removed by the job meanwhile
                continue
            if self._seen.get(relative) != stamp:
                upload_file(self.store, path, self.uri.child(relative))
                self._seen[relative] = stamp
                count += 1
        return count


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns
