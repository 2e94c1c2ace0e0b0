"""Hashed n-gram features for the fitted scorer: fast, stateless, stable across processes.

Character n-grams are hashed in bulk with a polynomial rolling hash in numpy;
words and word bigrams with CRC-32. Python's ``hash`` is not used: it changes
between processes, and a saved model must see the same features forever.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import sparse

_URL = re.compile(r"https?://\S+|www\.\S+")
_DIGITS = re.compile(r"\d")
_WORD = re.compile(r"[$#]?\w+(?:['.\-]\w+)*%?")
_M1 = np.uint64(0x100000001B3)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


def clean(text: str) -> str:
    """Lower-case, URLs replaced by ``url``, digits by ``0``, spaces collapsed.

    Examples
    --------
    >>> clean("$AAPL up 5.2% https://t.co/xyz  Now")
    '$aapl up 0.0% url now'
    """
    text = _URL.sub(" url ", text.lower())
    return " ".join(_DIGITS.sub("0", text).split())


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads every input bit over the output bits."""
    h = h ^ (h >> np.uint64(30))
    h = h * _M2
    h = h ^ (h >> np.uint64(27))
    h = h * _M3
    return h ^ (h >> np.uint64(31))


@dataclass(frozen=True)
class HashingFeaturizer:
    """Texts → a sparse, L2-normalised matrix of signed hashed n-gram counts.

    Examples
    --------
    >>> f = HashingFeaturizer(n_features=2**10)
    >>> x = f.transform(["Stock soars", "stock SOARS!"])
    >>> x.shape, round(float(x[0].multiply(x[0]).sum()), 6)
    ((2, 1024), 1.0)
    """

    n_features: int = 2**18
    char_min: int = 2
    char_max: int = 5
    word_bigrams: bool = True
    word_weight: float = 1.0

    def to_dict(self) -> dict[str, object]:
        """The settings as JSON-able values."""
        return asdict(self)

    def counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Signed counts of hashed n-grams (before weighting and normalisation)."""
        docs = [clean(t) for t in texts]
        rows_c, cols_c, vals_c = self._char_grams(docs)
        rows_w, cols_w, vals_w = self._word_grams(docs)
        rows = np.concatenate([rows_c, rows_w])
        cols = np.concatenate([cols_c, cols_w])
        vals = np.concatenate([vals_c, vals_w * self.word_weight])
        m = sparse.csr_matrix(
            (vals, (rows, cols)), shape=(len(docs), self.n_features), dtype=np.float64
        )
        m.sum_duplicates()
        return m

    def transform(self, texts: Sequence[str], idf: np.ndarray | None = None) -> sparse.csr_matrix:
        """Features: log(1 + |count|) with the count's sign, times ``idf``, rows L2 = 1."""
        m = self.counts(texts)
        m.data = np.sign(m.data) * np.log1p(np.abs(m.data))
        if idf is not None:
            m = sparse.csr_matrix(m.multiply(idf.reshape(1, -1)))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ m)

    def _bucket(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = _mix(h)
        cols = (h % np.uint64(self.n_features)).astype(np.int64)
        signs = np.where((h >> np.uint64(63)) == 1, -1.0, 1.0)
        return cols, signs

    def _char_grams(self, docs: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # one buffer " doc0 \0 doc1 \0 …": windows that contain a \0 are dropped
        padded = [f" {d} ".encode() for d in docs]
        buf = np.frombuffer(b"\0".join(padded) + b"\0", dtype=np.uint8).astype(np.uint64)
        doc_of = np.repeat(np.arange(len(docs)), [len(p) + 1 for p in padded])
        zeros = np.concatenate([[0], np.cumsum(buf == 0)])
        rows, cols, vals = [], [], []
        h = np.zeros(len(buf), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for n in range(1, self.char_max + 1):
                # h[i] = hash of buf[i : i + n]; valid for i ≤ len - n
                h = h[: len(buf) - n + 1] * _M1 + buf[n - 1 :] + np.uint64(1)
                if n < self.char_min:
                    continue
                start = np.arange(len(h))
                ok = zeros[start + n] == zeros[start]
                c, s = self._bucket(h[ok] ^ (np.uint64(n) << np.uint64(56)))
                rows.append(doc_of[start[ok]])
                cols.append(c)
                vals.append(s)
        empty = np.empty(0)
        return (
            np.concatenate(rows) if rows else empty.astype(np.int64),
            np.concatenate(cols) if cols else empty.astype(np.int64),
            np.concatenate(vals) if vals else empty,
        )

    def _word_grams(self, docs: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows: list[int] = []
        hashes: list[int] = []
        for i, doc in enumerate(docs):
            words = [zlib.crc32(w.encode()) for w in _WORD.findall(doc)]
            hashes.extend(w | (1 << 40) for w in words)
            if self.word_bigrams:
                hashes.extend((a << 20) ^ b ^ (2 << 40) for a, b in itertools.pairwise(words))
            rows.extend([i] * (len(hashes) - len(rows)))
        h = np.asarray(hashes, dtype=np.uint64)
        cols, signs = self._bucket(h)
        return np.asarray(rows, dtype=np.int64), cols, signs
