"""dataset.text's pre-trained token vectors: Vectors, GloVe, FastText, CharNGram (read from their
text files) and ToVectors (tokens to rows of vectors)."""
import os

import numpy as np

from ..transforms._base import check_type
from .transforms import TextTensorOperation, _text

__all__ = ["Vectors", "GloVe", "FastText", "CharNGram", "ToVectors"]


class Vectors:
    """Token vectors from a text file: one 'token v1 v2 ... vD' line each (a fastText 'count dim'
    header line is skipped); the first max_vectors lines when given."""

    def __init__(self):
        self.vectors = {}
        self.dim = 0

    @classmethod
    def from_file(cls, file_path, max_vectors=None):
        """Read the vectors of file_path."""
        name = cls.__name__
        if not isinstance(file_path, str):
            raise TypeError(f"{name}.from_file: 'file_path' must be a str, got {type(file_path).__name__}")
        if max_vectors is not None and (not isinstance(max_vectors, int) or max_vectors < 0):
            raise ValueError(f"{name}.from_file: 'max_vectors' must be None or a non-negative int, got {max_vectors!r}")
        if not os.path.isfile(file_path):
            raise ValueError(f"{name}.from_file: '{file_path}' is not a file")
        cls._check_name(file_path)
        table = cls()
        with open(file_path, encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                if max_vectors is not None and len(table.vectors) >= max_vectors:
                    break
                fields = line.rstrip().split(" ")
                if number == 0 and len(fields) == 2 and all(f.isdigit() for f in fields):
                    continue
                if len(fields) < 2:
                    continue
                values = np.array([float(v) for v in fields[1:]], dtype=np.float32)
                if table.dim == 0:
                    table.dim = values.size
                elif values.size != table.dim:
                    raise RuntimeError(f"{name}.from_file: line {number + 1} of {file_path} has {values.size} values, "
                                       f"expected {table.dim}")
                table.vectors.setdefault(fields[0], values)
        return table

    @classmethod
    def _check_name(cls, file_path):
        return None

    def lookup(self, token, lower_case_backup=False):
        """The vector of a token, or None."""
        vector = self.vectors.get(token)
        if vector is None and lower_case_backup:
            vector = self.vectors.get(token.lower())
        return vector


class GloVe(Vectors):
    """GloVe vectors (glove.6B.50d.txt ...)."""

    @classmethod
    def _check_name(cls, file_path):
        base = os.path.basename(file_path)
        if not (base.startswith("glove.") and base.endswith(".txt")):
            raise ValueError(f"GloVe.from_file: the file name must look like 'glove.6B.50d.txt', got {base!r}")


class FastText(Vectors):
    """fastText vectors (a .vec file)."""

    @classmethod
    def _check_name(cls, file_path):
        if not file_path.endswith(".vec"):
            raise ValueError(f"FastText.from_file: the file must have the suffix '.vec', got {file_path!r}")


class CharNGram(Vectors):
    """Character n-gram vectors ('2gram-ab ...' lines); a token's vector is the mean of its 2-, 3-
    and 4-grams (with #BEGIN# and #END# marks) found in the table."""

    def lookup(self, token, lower_case_backup=False):
        chars = ["#BEGIN#"] + list(token) + ["#END#"]
        found = []
        for n in (2, 3, 4):
            for start in range(len(chars) - n + 1):
                vector = self.vectors.get(f"{n}gram-{''.join(chars[start:start + n])}")
                if vector is not None:
                    found.append(vector)
        if not found:
            return None
        return np.mean(found, axis=0).astype(np.float32)


class ToVectors(TextTensorOperation):
    """Tokens to their vectors: a 1-D array of N tokens gives an <N, D> float32 array; unknown
    tokens get unk_init (D numbers, zeros by default); lower_case_backup retries in lower case."""

    def __init__(self, vectors, unk_init=None, lower_case_backup=False):
        if not isinstance(vectors, Vectors):
            raise TypeError(f"ToVectors: 'vectors' must be a Vectors, GloVe, FastText or CharNGram, "
                            f"got {type(vectors).__name__}")
        self.vectors = vectors
        if unk_init is not None:
            if not isinstance(unk_init, (list, tuple)) or len(unk_init) != vectors.dim:
                raise ValueError(f"ToVectors: 'unk_init' must be a list of {vectors.dim} numbers, got {unk_init!r}")
            unk_init = np.array(unk_init, dtype=np.float32)
        self.unk_init = unk_init
        self.lower_case_backup = check_type("ToVectors", "lower_case_backup", lower_case_backup, bool, "a bool")

    def _execute(self, array):
        tokens = _text("ToVectors", array)
        default = self.unk_init if self.unk_init is not None else np.zeros(self.vectors.dim, np.float32)
        rows = []
        for token in tokens.reshape(-1).tolist():
            vector = self.vectors.lookup(token, self.lower_case_backup)
            rows.append(default if vector is None else vector)
        if tokens.ndim == 0:
            return rows[0].copy()
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, self.vectors.dim), np.float32)
