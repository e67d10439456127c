"""vodguard: self-hosted content moderation, wire-compatible with Tencent Cloud VOD (API 2018-07-17)."""

__version__ = "0.1.0"
