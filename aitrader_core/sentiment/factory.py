"""Build the scorer a setting names: the lexicon, a fitted model, or a transformers folder."""

from __future__ import annotations

from pathlib import Path

from aitrader_core.errors import ConfigError
from aitrader_core.sentiment.base import Scorer


def load_scorer(
    spec: str | Path | None,
    *,
    device: str = "cpu",
    batch_size: int = 32,
    threads: int | None = None,
) -> Scorer:
    """The scorer for ``spec`` (e.g. ``AITRADER_SENTIMENT_MODEL``).

    ``None``, ``""`` or ``"lexicon"``: the finance lexicon. A folder with
    ``model.json``: a :class:`~aitrader_core.sentiment.fitted.FittedScorer`.
    A folder with ``config.json``: a
    :class:`~aitrader_core.sentiment.transformer.TransformerScorer` on ``device``.

    Examples
    --------
    >>> load_scorer(None).model_id.startswith("lexicon:finance:")
    True
    """
    if spec is None or str(spec).strip().lower() in ("", "lexicon"):
        from aitrader_core.sentiment.lexicon import LexiconScorer

        return LexiconScorer()
    folder = Path(spec).expanduser()
    if (folder / "model.json").is_file():
        from aitrader_core.sentiment.fitted import FittedScorer

        return FittedScorer.load(folder)
    if (folder / "config.json").is_file():
        from aitrader_core.sentiment.transformer import TransformerScorer

        return TransformerScorer(folder, device=device, batch_size=batch_size, threads=threads)
    raise ConfigError(
        f"sentiment model {str(spec)!r}: expected 'lexicon', a fitted model folder "
        "(model.json) or a Hugging Face model folder (config.json)"
    )
