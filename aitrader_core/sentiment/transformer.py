"""A Hugging Face sequence-classification model from a local folder (FinBERT and the like).

Needs the ``ml`` extra (torch, transformers). Nothing is downloaded: the model
is read with ``local_files_only=True`` from the folder given, e.g. the one in
``AITRADER_SENTIMENT_MODEL``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aitrader_core.errors import ConfigError
from aitrader_core.sentiment import metrics
from aitrader_core.sentiment.base import LABELS, Label, Score, normalize_label

_HASHED = ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json", "vocab.txt")


def label_order(id2label: dict[Any, str]) -> list[Label]:
    """Our class of each output index; ConfigError naming the labels if they do not fit.

    Examples
    --------
    >>> label_order({0: "Bearish", 1: "NEUTRAL", 2: "bullish"})
    ['negative', 'neutral', 'positive']
    >>> label_order({0: "LABEL_0", 1: "LABEL_1"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    aitrader_core.errors.ConfigError: the model's labels ['LABEL_0', 'LABEL_1'] do not map ...
    """
    names = [id2label[k] for k in sorted(id2label, key=int)]
    mapped = [normalize_label(n) for n in names]
    if len(names) != len(LABELS) or sorted(str(m) for m in mapped) != sorted(LABELS):
        raise ConfigError(
            f"the model's labels {names} do not map onto positive, negative and neutral "
            "(spellings such as Bullish/Bearish/Neutral are accepted)"
        )
    return [m for m in mapped if m is not None]


def _fingerprint(folder: Path) -> str:
    """SHA-256 over the files that decide the model's output, so a cache never mixes models."""
    digest = hashlib.sha256()
    for name in _HASHED:
        file = folder / name
        if file.is_file():
            digest.update(name.encode())
            with file.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
    return digest.hexdigest()[:16]


class TransformerScorer:
    """Score texts with a local sequence-classification model, in batches.

    Parameters
    ----------
    model_dir
        Folder with ``config.json``, weights and tokenizer files.
    device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``… or ``"auto"`` (a GPU when there is one).
    batch_size
        Texts per forward pass.
    max_length
        Tokens kept of each text.
    threads
        If given, ``torch.set_num_threads(threads)`` (process-wide). On a small
        or busy machine torch's default of one thread per core can be many
        times slower than 1 thread (measured here: 742 ms vs 18 ms for a batch
        of 32 on a loaded 2-core machine).
    """

    def __init__(
        self,
        model_dir: str | Path,
        device: str = "cpu",
        batch_size: int = 32,
        *,
        max_length: int = 128,
        threads: int | None = None,
    ) -> None:
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:  # pragma: no cover - the ml extra is installed in tests
            raise ConfigError(
                "the transformer scorer needs torch and transformers: pip install 'aitrader[ml]'"
            ) from exc
        folder = Path(model_dir)
        if not (folder / "config.json").is_file():
            raise ConfigError(f"{folder} is not a model folder (no config.json)")
        if batch_size < 1:
            raise ConfigError("batch_size must be ≥ 1")
        if threads is not None:
            if threads < 1:
                raise ConfigError("threads must be ≥ 1")
            torch.set_num_threads(threads)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ConfigError(f"device {device!r} requested but no CUDA GPU is available")
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(
                folder, local_files_only=True
            )
        except Exception as exc:  # OSError, SafetensorError, size mismatches…: all "bad folder"
            raise ConfigError(
                f"cannot load a sequence-classification model from {folder}: {exc}"
            ) from exc
        self._order = label_order(dict(model.config.id2label))
        self._torch = torch
        self.tokenizer = tokenizer
        self.model = model.to(device).eval()
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self._model_id = f"transformers:{folder.name}:{_fingerprint(folder)}"

    @property
    def model_id(self) -> str:
        """``transformers:<folder name>:<sha256 of config, weights, vocab; 16 hex>``."""
        return self._model_id

    def score(self, texts: Sequence[str]) -> list[Score]:
        """Score ``texts`` in batches of similar length (less padding), results in order."""
        metrics.SCORED.labels(model=self._model_id).inc(len(texts))
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[Score | None] = [None] * len(texts)
        torch = self._torch
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                probs = torch.softmax(self.model(**enc).logits.float(), dim=-1).cpu().tolist()
                for i, row in zip(idx, probs, strict=True):
                    out[i] = Score.from_probs(dict(zip(self._order, row, strict=True)))
        return [s for s in out if s is not None]
