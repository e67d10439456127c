"""One S3 multipart upload as a context manager, and S3's part-size rules (``s3.py`` builds every big object so)."""

from __future__ import annotations

import math
import mimetypes
from typing import Any

from botocore.exceptions import ClientError

MiB = 1 << 20
MIN_PART = 5 * MiB  # S3's smallest part (all but the last)
MAX_PARTS = 10_000


def content_type(key: str) -> str:
    """The Content-Type an object named ``key`` is stored with."""
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def part_size_for(total: int, minimum: int) -> int:
    """The part size that keeps ``total`` bytes within S3's 10,000 parts (whole MiB)."""
    need = math.ceil(total / (MAX_PARTS - 1))
    return max(minimum, math.ceil(need / MiB) * MiB)


class MultipartUpload:
    """One multipart upload of the object ``key`` (a full bucket key): parts added in order, completed on a clean
    exit, aborted on an error. The MD5 of the whole goes into the object's metadata when the upload starts."""

    def __init__(self, client: Any, bucket: str, key: str, *, md5: str, content_type: str) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key
        self.md5 = md5
        self.content_type = content_type
        self.parts: list[dict[str, Any]] = []
        self.upload_id = ""

    def __enter__(self) -> MultipartUpload:
        created = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=self.key, Metadata={"md5": self.md5}, ContentType=self.content_type
        )
        self.upload_id = created["UploadId"]
        return self

    def add_bytes(self, data: bytes) -> None:
        number = len(self.parts) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data
        )
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def add_copy(self, src: str, start: int, end: int) -> None:
        """Copy bytes ``start..end`` of the object ``src`` (a full bucket key) server-side as the next part."""
        number = len(self.parts) + 1
        answer = self.client.upload_part_copy(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            CopySource={"Bucket": self.bucket, "Key": src},
            CopySourceRange=f"bytes={start}-{end}",
        )
        self.parts.append({"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]})

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if kind is None:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": self.parts},
            )
            return
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        except ClientError:
            pass  # the original error matters more; an orphaned upload is cleaned by bucket lifecycle rules
