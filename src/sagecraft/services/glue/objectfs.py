"""Our object store as a pyarrow filesystem (paths ``bucket/key``), so that pyiceberg reads and
writes an Iceberg table's data, manifests and metadata as ordinary S3 objects — listable with
``aws s3 ls`` — without an HTTP round trip to our own server."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
from pyarrow.fs import FileInfo, FileSelector, FileSystemHandler, FileType

from sagecraft.storage.objects.base import BucketNotFound, ObjectMeta, ObjectNotFound, ObjectStore


def split(path: str) -> tuple[str, str]:
    bucket, _, key = path.lstrip("/").partition("/")
    return bucket, key


class _RangedReader(io.RawIOBase):
    """A seekable read-only file whose reads are ranged GETs of one object (Parquet reads the
    footer first and then only the column chunks it needs)."""

    def __init__(self, objects: ObjectStore, bucket: str, key: str, size: int) -> None:
        self.objects, self.bucket, self.key, self.size = objects, bucket, key, size
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self.size - self.position)
        if wanted <= 0:
            return 0
        _, chunks = self.objects.open_object(self.bucket, self.key, self.position, self.position + wanted - 1)
        done = 0
        for chunk in chunks:
            buffer[done : done + len(chunk)] = chunk
            done += len(chunk)
        self.position += done
        return done


class _UploadOnClose(io.BytesIO):
    """Buffers what is written and stores it as one object when closed (S3 has no partial writes)."""

    def __init__(self, objects: ObjectStore, bucket: str, key: str) -> None:
        super().__init__()
        self.objects, self.bucket, self.key = objects, bucket, key

    def close(self) -> None:
        if not self.closed:
            self.objects.put_object(self.bucket, self.key, self.getvalue(), ObjectMeta())
        super().close()


class ObjectStoreFileSystem(FileSystemHandler):
    def __init__(self, objects: ObjectStore) -> None:
        self.objects = objects

    def get_type_name(self) -> str:
        return "sagecraft-objects"

    def normalize_path(self, path: str) -> str:
        return path.lstrip("/")

    def equals(self, other: Any) -> bool:
        return isinstance(other, ObjectStoreFileSystem) and other.objects is self.objects

    # --- information ----------------------------------------------------------------------------
    def _info(self, path: str) -> FileInfo:
        bucket, key = split(path)
        if not key:
            found = self.objects.get_bucket(bucket) is not None
            return FileInfo(path, FileType.Directory if found else FileType.NotFound)
        try:
            info = self.objects.head_object(bucket, key)
            return FileInfo(path, FileType.File, size=info.size, mtime=info.last_modified)
        except (ObjectNotFound, BucketNotFound):
            pass
        try:  # a "folder": some key lies under it
            page = self.objects.list_objects(bucket, prefix=key.rstrip("/") + "/", max_keys=1)
        except BucketNotFound:
            return FileInfo(path, FileType.NotFound)
        return FileInfo(path, FileType.Directory if page.objects else FileType.NotFound)

    def get_file_info(self, paths: list[str]) -> list[FileInfo]:
        return [self._info(path) for path in paths]

    def get_file_info_selector(self, selector: FileSelector) -> list[FileInfo]:
        bucket, key = split(selector.base_dir)
        prefix = key.rstrip("/") + "/" if key else ""
        found: list[FileInfo] = []
        after = ""
        try:
            while True:
                page = self.objects.list_objects(
                    bucket, prefix=prefix, delimiter="" if selector.recursive else "/", after=after
                )
                found += [
                    FileInfo(f"{bucket}/{o.key}", FileType.File, size=o.size, mtime=o.last_modified)
                    for o in page.objects
                ]
                found += [FileInfo(f"{bucket}/{p.rstrip('/')}", FileType.Directory) for p in page.common_prefixes]
                if not page.truncated or page.last is None:
                    break
                after = page.last
        except BucketNotFound:
            if not selector.allow_not_found:
                raise FileNotFoundError(f"Path does not exist: {selector.base_dir}") from None
        return found

    # --- changes --------------------------------------------------------------------------------
    def create_dir(self, path: str, recursive: bool) -> None:
        """Folders are implied by the keys under them: nothing to create."""

    def delete_dir(self, path: str) -> None:
        self.delete_dir_contents(path, missing_dir_ok=True)

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        bucket = split(path)[0]
        listed = self.get_file_info_selector(FileSelector(path, allow_not_found=missing_dir_ok, recursive=True))
        keys = [info.path.partition("/")[2] for info in listed if info.type == FileType.File]
        if keys:
            self.objects.delete_objects(bucket, keys)

    def delete_root_dir_contents(self) -> None:
        raise PermissionError("Refusing to delete every bucket's objects")

    def delete_file(self, path: str) -> None:
        bucket, key = split(path)
        if self._info(path).type != FileType.File:
            raise FileNotFoundError(f"Path does not exist: {path}")
        self.objects.delete_object(bucket, key)

    def copy_file(self, src: str, dest: str) -> None:
        source_bucket, source_key = split(src)
        bucket, key = split(dest)
        self.objects.copy_object(source_bucket, source_key, bucket, key, None)

    def move(self, src: str, dest: str) -> None:
        self.copy_file(src, dest)
        self.delete_file(src)

    # --- streams --------------------------------------------------------------------------------
    def open_input_file(self, path: str) -> pa.NativeFile:
        bucket, key = split(path)
        try:
            info = self.objects.head_object(bucket, key)
        except (ObjectNotFound, BucketNotFound):
            raise FileNotFoundError(f"Path does not exist: {path}") from None
        return pa.PythonFile(io.BufferedReader(_RangedReader(self.objects, bucket, key, info.size)), mode="r")

    def open_input_stream(self, path: str) -> pa.NativeFile:
        return self.open_input_file(path)

    def open_output_stream(self, path: str, metadata: dict[str, str] | None = None) -> pa.NativeFile:
        bucket, key = split(path)
        if self.objects.get_bucket(bucket) is None:
            raise FileNotFoundError(f"Bucket does not exist: {bucket}")
        return pa.PythonFile(_UploadOnClose(self.objects, bucket, key), mode="w")

    def open_append_stream(self, path: str, metadata: dict[str, str] | None = None) -> pa.NativeFile:
        raise NotImplementedError("Objects cannot be appended to: write a new object instead")
