"""A finance-aware lexicon scorer: the zero-setup default, with VADER-style rules.

Valences come from the shipped ``data/finance_lexicon.tsv``; rules after
VADER (Hutto & Gilbert, 2014): phrases match first, boosters and dampeners
change a valence's magnitude (less with distance), a negator within three
words flips and shrinks it (× −0.74), and around "but"/"however" the earlier
clause counts half and the later one and a half. Finance additions: a
percentage next to a move ("up 5%") strengthens it, and ratings phrases
("cut to Neutral", "price target raised") are lexicon entries.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from aitrader_core.errors import ConfigError
from aitrader_core.sentiment import metrics
from aitrader_core.sentiment.base import Score

_URL = re.compile(r"https?://\S+|www\.\S+")
_TOKEN = re.compile(r"[$#]?[a-z0-9]+(?:['.\-][a-z0-9]+)*%?")
_PERIOD = re.compile(r"\b\d+-(?:day|week|month|year)\b")  # "52-week high" ~ "4-month high"
_BUT = frozenset({"but", "however"})
_DECAY = (1.0, 0.95, 0.9)
_PERCENT_BOOST = 0.5
_EXCLAIM = 0.292


def _stems(token: str) -> list[str]:
    """Candidate base forms of an inflected word, tried only when it is not listed."""
    out = []
    if token.endswith("ies"):
        out.append(token[:-3] + "y")
    if token.endswith("ied"):
        out.append(token[:-3] + "y")
    if token.endswith("es"):
        out.append(token[:-2])
    if token.endswith("s") and not token.endswith("ss"):
        out.append(token[:-1])
    if token.endswith("ed"):
        out += [token[:-2], token[:-1]]
    if token.endswith("ing"):
        out += [token[:-3], token[:-3] + "e"]
    return out


class LexiconScorer:
    """Score texts with a finance lexicon and VADER-style rules.

    Parameters
    ----------
    lexicon_path
        A TSV of ``term, value, kind`` (kind: valence, booster, negator);
        the shipped finance lexicon by default.
    alpha
        Normalisation of the summed valence ``s`` to ``c = s / sqrt(s² + alpha)``;
        a text is neutral while ``|c| ≤ 0.5``, i.e. ``|s| ≤ sqrt(alpha / 3)``.

    Examples
    --------
    >>> scorer = LexiconScorer()
    >>> [s.label for s in scorer.score(["Bitcoin soars to record high",
    ...                                 "Shares plunge after earnings miss",
    ...                                 "Company declares quarterly dividend",
    ...                                 "Stock did not rally"])]
    ['positive', 'negative', 'neutral', 'negative']
    """

    def __init__(self, lexicon_path: str | Path | None = None, *, alpha: float = 6.0) -> None:
        if lexicon_path is None:
            raw = (
                resources.files("aitrader_core.sentiment")
                .joinpath("data/finance_lexicon.tsv")
                .read_bytes()
            )
            name = "finance"
        else:
            try:
                raw = Path(lexicon_path).read_bytes()
            except OSError as exc:
                raise ConfigError(f"cannot read lexicon {lexicon_path}: {exc}") from exc
            name = Path(lexicon_path).stem
        self.alpha = alpha
        self.valence: dict[tuple[str, ...], float] = {}
        self.boosters: dict[str, float] = {}
        self.negators: set[str] = set()
        self._parse(raw.decode("utf-8"))
        self._max_phrase = max((len(k) for k in self.valence), default=1)
        digest = hashlib.sha256(raw).hexdigest()[:12]
        self._model_id = f"lexicon:{name}:{digest}:a{alpha:g}"

    def _parse(self, text: str) -> None:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.startswith("#") or line.startswith("term\t"):
                continue
            parts = line.split("\t")
            try:
                term, value, kind = parts[0].strip().lower(), float(parts[1]), parts[2].strip()
            except (IndexError, ValueError) as exc:
                raise ConfigError(f"lexicon line {n}: expected term<TAB>value<TAB>kind") from exc
            if kind == "valence":
                self.valence[tuple(term.split())] = value
            elif kind == "booster":
                self.boosters[term] = value
            elif kind == "negator":
                self.negators.add(term)
            else:
                raise ConfigError(f"lexicon line {n}: unknown kind {kind!r}")

    @property
    def model_id(self) -> str:
        """``lexicon:<name>:<sha256 of the file, 12 hex>:a<alpha>``."""
        return self._model_id

    def score(self, texts: Sequence[str]) -> list[Score]:
        """Score each text (see the class docstring)."""
        metrics.SCORED.labels(model=self._model_id).inc(len(texts))
        out = []
        for text in texts:
            c = self.compound(text)
            out.append(
                Score.from_probs(
                    {"positive": max(c, 0.0), "negative": max(-c, 0.0), "neutral": 1 - abs(c)}
                )
            )
        return out

    def tokens(self, text: str) -> list[str]:
        """Lower-case word tokens, URLs removed (``$BTC`` and ``5%`` stay tokens)."""
        text = _PERIOD.sub("n-period", _URL.sub(" ", text.lower().replace("’", "'")))
        return _TOKEN.findall(text)

    def _word(self, token: str) -> float | None:
        v = self.valence.get((token,))
        if v is None:
            for stem in _stems(token):
                v = self.valence.get((stem,))
                if v is not None:
                    break
        return v

    def compound(self, text: str) -> float:
        """The normalised valence of ``text`` in ``[-1, 1]``."""
        toks = self.tokens(text)
        n = len(toks)
        items: list[tuple[int, int, float]] = []  # (start, end, valence)
        i = 0
        while i < n:
            for size in range(min(self._max_phrase, n - i), 0, -1):
                v = self.valence.get(tuple(toks[i : i + size]))
                if v is None and size == 1:
                    v = self._word(toks[i])
                if v is not None:
                    items.append((i, i + size, v))
                    i += size
                    break
            else:
                i += 1
        but = next((k for k, t in enumerate(toks) if t in _BUT), None)
        total = 0.0
        for start, end, v in items:
            sign = math.copysign(1.0, v)
            for dist in range(1, 4):
                j = start - dist
                if j < 0:
                    break
                boost = self.boosters.get(toks[j])
                if boost:
                    v += sign * boost * _DECAY[dist - 1]
            near = toks[max(0, start - 2) : start] + toks[end : end + 2]
            if any(t.endswith("%") for t in near):
                v += sign * _PERCENT_BOOST
            before = toks[max(0, start - 3) : start]
            if any(t in self.negators or t.endswith("n't") for t in before):
                v *= -0.74
            if but is not None:
                v *= 0.5 if start < but else 1.5 if start > but else 1.0
            total += v
        if total:
            total += math.copysign(_EXCLAIM * min(text.count("!"), 4), total)
        return total / math.sqrt(total * total + self.alpha)
