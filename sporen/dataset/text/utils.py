"""dataset.text's vocabularies and helpers: Vocab, NormalizeForm, JiebaMode, to_str, to_bytes."""
import collections
from enum import Enum, IntEnum

import numpy as np

__all__ = ["Vocab", "NormalizeForm", "JiebaMode", "SPieceTokenizerLoadType", "SPieceTokenizerOutType",
           "SentencePieceModel", "to_str", "to_bytes"]


class NormalizeForm(IntEnum):
    """Unicode normalization forms of NormalizeUTF8 (NONE leaves the text as it is)."""
    NONE = 0
    NFC = 1
    NFKC = 2
    NFD = 3
    NFKD = 4


class JiebaMode(IntEnum):
    """JiebaTokenizer's segmentation: MIX, MP (max probability) or HMM."""
    MIX = 0
    MP = 1
    HMM = 2


class SPieceTokenizerLoadType(IntEnum):
    """Where a SentencePieceTokenizer's model comes from: FILE or MODEL (a SentencePieceVocab)."""
    FILE = 0
    MODEL = 1


class SPieceTokenizerOutType(IntEnum):
    """What a SentencePieceTokenizer outputs: STRING pieces or INT ids."""
    STRING = 0
    INT = 1


class SentencePieceModel(str, Enum):
    """The SentencePiece training algorithms: UNIGRAM, BPE, CHAR, WORD."""
    UNIGRAM = "unigram"
    BPE = "bpe"
    CHAR = "char"
    WORD = "word"


def _check_special_tokens(special_tokens, special_first):
    if special_tokens is None:
        special_tokens = []
    if not isinstance(special_tokens, list) or not all(isinstance(t, str) for t in special_tokens):
        raise TypeError(f"Vocab: 'special_tokens' must be a list of str, got {special_tokens!r}")
    if len(set(special_tokens)) != len(special_tokens):
        raise ValueError(f"Vocab: 'special_tokens' contains duplicate tokens: {special_tokens!r}")
    if not isinstance(special_first, bool):
        raise TypeError(f"Vocab: 'special_first' must be a bool, got {type(special_first).__name__}")
    return special_tokens


class Vocab:
    """A map between tokens (str) and ids (int), built with from_list, from_file, from_dict or
    from_dataset. tokens_to_ids gives -1 for an unknown token, ids_to_tokens '' for an unknown id."""

    def __init__(self):
        self._token_to_id = {}
        self._id_to_token = {}

    def _add(self, token, index=None):
        if index is None:
            index = len(self._token_to_id)
        self._token_to_id[token] = index
        self._id_to_token.setdefault(index, token)

    @classmethod
    def _from_words(cls, words, special_tokens, special_first):
        special_tokens = _check_special_tokens(special_tokens, special_first)
        clash = set(special_tokens) & set(words)
        if clash:
            raise ValueError(f"Vocab: special tokens {sorted(clash)!r} are also in the word list")
        vocab = cls()
        ordered = special_tokens + list(words) if special_first else list(words) + special_tokens
        for token in ordered:
            vocab._add(token)
        return vocab

    @classmethod
    def from_list(cls, word_list, special_tokens=None, special_first=True):
        """Ids in list order (after the special tokens when special_first, else before them)."""
        if not isinstance(word_list, list) or not all(isinstance(w, str) for w in word_list):
            raise TypeError(f"Vocab.from_list: 'word_list' must be a list of str, got {word_list!r}")
        if len(set(word_list)) != len(word_list):
            duplicates = sorted(w for w, n in collections.Counter(word_list).items() if n > 1)
            raise ValueError(f"Vocab.from_list: 'word_list' contains duplicate words: {duplicates!r}")
        return cls._from_words(word_list, special_tokens, special_first)

    @classmethod
    def from_file(cls, file_path, delimiter="", vocab_size=None, special_tokens=None, special_first=True):
        """One word per line (the text before delimiter, or the whole stripped line when delimiter
        is ''); the first vocab_size lines when given."""
        if not isinstance(file_path, str):
            raise TypeError(f"Vocab.from_file: 'file_path' must be a str, got {type(file_path).__name__}")
        if not isinstance(delimiter, str):
            raise TypeError(f"Vocab.from_file: 'delimiter' must be a str, got {type(delimiter).__name__}")
        if vocab_size is not None and (not isinstance(vocab_size, int) or vocab_size <= 0):
            raise ValueError(f"Vocab.from_file: 'vocab_size' must be None or a positive int, got {vocab_size!r}")
        words = []
        with open(file_path, encoding="utf-8") as handle:
            for line in handle:
                if vocab_size is not None and len(words) >= vocab_size:
                    break
                line = line.rstrip("\r\n")
                word = line.split(delimiter)[0] if delimiter else line.strip()
                if not word:
                    continue
                if word in words:
                    raise RuntimeError(f"Vocab.from_file: duplicate word {word!r} in {file_path}")
                words.append(word)
        return cls._from_words(words, special_tokens, special_first)

    @classmethod
    def from_dict(cls, word_dict):
        """The given token -> id map (ids non-negative ints)."""
        if not isinstance(word_dict, dict):
            raise TypeError(f"Vocab.from_dict: 'word_dict' must be a dict, got {type(word_dict).__name__}")
        vocab = cls()
        for token, index in word_dict.items():
            if not isinstance(token, str):
                raise TypeError(f"Vocab.from_dict: keys must be str, got {token!r}")
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                raise ValueError(f"Vocab.from_dict: ids must be non-negative ints, got {index!r} for {token!r}")
            vocab._add(token, index)
        return vocab

    @classmethod
    def from_dataset(cls, dataset, columns=None, freq_range=None, top_k=None, special_tokens=None,
                     special_first=True):
        """Count the words of the dataset's columns (all when None); keep those whose count is in
        freq_range (min, max), inclusive, None meaning unbounded; keep the top_k most frequent; ids
        by decreasing count, equal counts in alphabetical order."""
        if isinstance(columns, str):
            columns = [columns]
        if freq_range is None:
            freq_range = (None, None)
        if not isinstance(freq_range, (list, tuple)) or len(freq_range) != 2:
            raise TypeError(f"Vocab.from_dataset: 'freq_range' must be None or (min, max), got {freq_range!r}")
        if top_k is not None and (not isinstance(top_k, int) or top_k <= 0):
            raise ValueError(f"Vocab.from_dataset: 'top_k' must be None or a positive int, got {top_k!r}")
        counts = collections.Counter()
        iterator = dataset.create_dict_iterator(num_epochs=1, output_numpy=True)
        for row in iterator:
            names = columns if columns is not None else list(row)
            for name in names:
                if name not in row:
                    raise ValueError(f"Vocab.from_dataset: column {name!r} is not in the dataset's columns {list(row)}")
                values = to_str(np.asarray(row[name]))
                counts.update(str(v) for v in np.asarray(values).reshape(-1))
        low = 0 if freq_range[0] is None else freq_range[0]
        high = float("inf") if freq_range[1] is None else freq_range[1]
        kept = [(word, n) for word, n in counts.items() if low <= n <= high]
        kept.sort(key=lambda item: (-item[1], item[0]))
        if top_k is not None:
            kept = kept[:top_k]
        special_tokens = _check_special_tokens(special_tokens, special_first)
        words = [word for word, _ in kept if word not in special_tokens]
        return cls._from_words(words, special_tokens, special_first)

    def vocab(self):
        """The token -> id dict."""
        return dict(self._token_to_id)

    def tokens_to_ids(self, tokens):
        """The id of a token (str) or the ids of a list/array of tokens; -1 for unknown tokens."""
        if isinstance(tokens, str):
            return self._token_to_id.get(tokens, -1)
        if isinstance(tokens, np.ndarray):
            tokens = tokens.tolist()
        if not isinstance(tokens, list):
            raise TypeError(f"Vocab.tokens_to_ids: 'tokens' must be a str or a list of str, got {tokens!r}")
        return [self._token_to_id.get(str(token), -1) for token in tokens]

    def ids_to_tokens(self, ids):
        """The token of an id (int) or the tokens of a list/array of ids; '' for unknown ids."""
        if isinstance(ids, (int, np.integer)) and not isinstance(ids, bool):
            if ids < 0:
                raise ValueError(f"Vocab.ids_to_tokens: ids must be non-negative, got {ids}")
            return self._id_to_token.get(int(ids), "")
        if isinstance(ids, np.ndarray):
            ids = ids.tolist()
        if not isinstance(ids, list):
            raise TypeError(f"Vocab.ids_to_tokens: 'ids' must be an int or a list of int, got {ids!r}")
        return [self.ids_to_tokens(i) for i in ids]

    def __len__(self):
        return len(self._token_to_id)

    def __contains__(self, token):
        return token in self._token_to_id


def to_str(array, encoding="utf8"):
    """A numpy array of bytes ('S') to the same array of str ('U')."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"to_str: 'array' must be a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind == "U":
        return array
    if array.dtype.kind != "S":
        raise TypeError(f"to_str: 'array' must hold bytes, got dtype {array.dtype}")
    return np.char.decode(array, encoding)


def to_bytes(array, encoding="utf8"):
    """A numpy array of str ('U') to the same array of bytes ('S')."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"to_bytes: 'array' must be a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind == "S":
        return array
    if array.dtype.kind != "U":
        raise TypeError(f"to_bytes: 'array' must hold str, got dtype {array.dtype}")
    return np.char.encode(array, encoding)
