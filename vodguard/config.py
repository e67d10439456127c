"""Settings: one class, read from ``VODGUARD_*`` environment variables and flags, validated at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Settings that name a model file or folder: empty means unset, and a path to nothing is refused at start-up.
MODEL_PATH_SETTINGS = (
    "asr_model_path", "nudenet_path", "efficientnet_path", "ocr_det_model_path", "ocr_rec_model_path",
    "ocr_rec_keys_path", "sound_model_path", "safety_model_path", "drawn_model_path", "custom_models_file",
)  # fmt: skip


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def normal_host(host: str) -> str:
    """A host name as allow lists compare it: no brackets, no trailing dot, lower case."""
    return host.strip().strip("[]").rstrip(".").lower()


# VODGUARD_NOTIFY_ALLOW, parsed. services/destinations.py applies it to every event delivery.
@dataclass(frozen=True)
class AllowList:
    """Hosts (by name, as the URL spells them) and networks the server may reach even though they are not public."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, value: str) -> AllowList:
        """``"receiver.lan, 10.0.0.0/8, 127.0.0.1"``; raises ValueError naming an entry that is none of these."""
        hosts: set[str] = set()
        networks: list[Network] = []
        for entry in filter(None, (part.strip() for part in value.split(","))):
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = normal_host(entry)
            if not (name.isascii() and len(name) <= 253 and _HOST.fullmatch(name)):
                raise ValueError(f"{entry!r} is not a host name, an IP address or a CIDR network")
            hosts.add(name)
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return normal_host(host) in self.hosts

    def allows_address(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


class Settings(BaseSettings):
    """Everything an operator can set. Tests build one from ``tmp_path`` instead of touching ``os.environ``."""

    model_config = SettingsConfigDict(env_prefix="VODGUARD_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    # Public base URL used in MediaUrl, playback and evidence links; derived from host/port when empty.
    public_url: str = ""
    database_url: str = ""  # empty: SQLite (WAL) under data_dir
    queue_url: str = ""  # empty: SqliteHuey under data_dir; redis://... for many machines
    queue_name: str = "vodguard"  # lets several deployments share one Redis
    storage_url: str = ""  # empty: local blob folder under data_dir; s3://bucket?endpoint=...
    # files derived once from installed weights (converted, int8, joined; the tokenizer's tables); empty:
    # data_dir/models. One folder can serve many data directories, workers or containers built in advance.
    model_cache_dir: Path | None = None

    # Transport
    max_body_bytes: int = 1 << 20  # API 3.0 JSON bodies; uploads go through the object endpoint
    max_upload_bytes: int = 8 << 30
    clock_skew_seconds: int = 300
    request_rate_per_app: int = 200  # all actions together, per second
    review_rate_per_app: int = 20  # ReviewAudioVideo per second (spec §5)
    event_config_rate_per_app: int = 100  # DescribeEventConfig per second (spec §5)
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses/CIDRs); empty: the peer is the client
    trusted_proxies: str = ""
    # API requests of one app in flight in one process (long polls count); 0: no cap. More wait, then
    # RequestLimitExceeded, so one app cannot take every thread (audit D5).
    app_concurrency: int = Field(default=8, ge=0)
    concurrency_wait_seconds: float = Field(default=2.0, ge=0)  # wait for a per-app or ReviewImage slot

    # Uploads
    storage_region: str = "ap-guangzhou"
    upload_session_seconds: int = 24 * 3600  # how long an ApplyUpload session and its temp credential live

    # Media playback URLs
    playback_url_seconds: int = 3600
    url_sign_key: str = ""  # generated and kept in data_dir when empty

    # Events
    pull_hold_seconds: float = 5.0
    push_timeout_seconds: float = 10.0
    push_retry_hours: float = 48.0
    # Hosts or networks (comma-separated names, addresses, CIDRs) that events may be sent to although they are
    # loopback, link-local or private; by default only public addresses are (audit D4, SSRF).
    notify_allow: str = ""

    # Workers and moderation
    workers: int = Field(default=1, ge=0)  # embedded worker threads in `vodguard serve`
    task_lease_seconds: float = (
        60.0  # a worker renews its lease every third of this; expired leases are re-queued
    )
    task_attempts: int = 3  # engine faults are retried this many times in all, then InternalError
    task_wall_seconds: float = 3600.0  # deadline for one file
    evidence_days: int = 3  # segment thumbnails and SegmentSetFileUrl files live this long
    reuse_results: bool = True  # a review of bytes reviewed before (same template, engine) replays it
    review_image_max_bytes: int = 5 << 20  # ReviewImage (spec §5: under 5 MB)
    # ReviewImage runs in the request: at most this many at once per process (0: no cap), more wait, then
    # LimitExceeded; and pictures over this many pixels are refused from their header, before decoding.
    review_image_concurrency: int = Field(default=2, ge=0)
    review_image_max_pixels: int = Field(default=25_000_000, ge=1)
    frame_interval: float = 1.0
    ocr_interval: float = 2.0
    video_tiles: bool = False  # scan video frames in tiles as pictures are (NSFW 5x, Terror 3x the cost)
    int8_models: bool = True  # the shipped int8 picture and OCR models where they match fp32 (docs/models.md)
    # skip det on steady OCR lines and the picture models on near-copies of a frame (docs/benchmarks.md)
    skip_unchanged: bool = True
    # on a busy picture, det reads only where the text cells see lines (detectors/ocr/cells.py); off: it reads it whole
    ocr_text_cells: bool = True
    # the picture models that never block alone read every second video frame, the rest where it matters (cascade.py)
    safety_cascade: bool = True
    # a line that ticks (a clock, a counter) is read again every 8th change, not every one (detectors/ocr/gate.py)
    ocr_ticking: bool = True
    asr_model: str = "auto"
    asr_model_path: Path | None = None
    asr_language: str | None = None
    nudenet_path: Path | None = None
    sound_model_path: Path | None = None
    safety_model_path: Path | None = None
    drawn_model_path: Path | None = None
    efficientnet_path: Path | None = None
    ocr_det_model_path: Path | None = None
    ocr_rec_model_path: Path | None = None
    ocr_rec_keys_path: Path | None = None
    custom_models_file: Path | None = (
        None  # a JSON list of operator-supplied ONNX models (see docs/models.md)
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("model_cache_dir", mode="before")
    @classmethod
    def _cache_dir(cls, value: object) -> object:
        """``VODGUARD_MODEL_CACHE_DIR=`` means the default, not the current directory."""
        if isinstance(value, str) and not value.strip():
            return None
        return Path(value).expanduser().resolve() if isinstance(value, str | Path) else value

    @field_validator(*MODEL_PATH_SETTINGS, mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``VODGUARD_X_PATH=`` means no path, not the current directory."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(*MODEL_PATH_SETTINGS)
    @classmethod
    def _model_exists(cls, value: Path | None) -> Path | None:
        """A model path that names nothing is refused at start-up, not at the first upload's review."""
        if value is not None and not value.expanduser().exists():
            raise ValueError(f"{value} does not exist")
        return value.expanduser() if value is not None else None

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        """Every entry must be an address or a CIDR; a typo would otherwise trust nobody (or everybody)."""
        for entry in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR") from None
        return value

    @property
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        parts = (part.strip() for part in self.trusted_proxies.split(","))
        return tuple(ipaddress.ip_network(part, strict=False) for part in parts if part)

    @field_validator("notify_allow")
    @classmethod
    def _notify_allow(cls, value: str) -> str:
        """Refuse a bad entry at start-up, not at the first event."""
        AllowList.parse(value)  # raises ValueError naming the entry
        return value

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def models_dir(self) -> Path:
        """Where derived model files are kept: ``model_cache_dir``, else the data directory's ``models``."""
        return self.model_cache_dir or self.data_dir / "models"

    @property
    def has_database(self) -> bool:
        """Whether there is a database to read: a URL, or the SQLite file that ``vodguard serve`` made."""
        return bool(self.database_url) or (self.data_dir / "vodguard.db").is_file()

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{self.data_dir / 'vodguard.db'}"

    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def prepare(self) -> None:
        """Create the data directory and refuse to start when it is not writable."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(self.data_dir, os.W_OK):
            raise SystemExit(
                f"data directory {self.data_dir} is not writable (set --data-dir or VODGUARD_DATA_DIR)"
            )
