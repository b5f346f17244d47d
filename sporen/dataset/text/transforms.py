"""dataset.text's transforms: tokenizers (whitespace, regex, unicode char, basic, wordpiece,
BERT, Python), text normalization, Lookup, Ngram, SlidingWindow, ToNumber, Truncate, AddToken."""
import re
import unicodedata

import numpy as np

from ..transforms._base import TensorOperation, check_callable, check_int, check_type
from ..transforms.transforms import numpy_dtype
from .utils import NormalizeForm, Vocab, to_str

__all__ = ["TextTensorOperation", "WhitespaceTokenizer", "UnicodeCharTokenizer", "RegexTokenizer",
           "BasicTokenizer", "WordpieceTokenizer", "BertTokenizer", "PythonTokenizer", "CaseFold",
           "NormalizeUTF8", "RegexReplace", "Lookup", "Ngram", "SlidingWindow", "ToNumber", "Truncate",
           "TruncateSequencePair", "AddToken", "UnicodeScriptTokenizer", "FilterWikipediaXML"]


class TextTensorOperation(TensorOperation):
    """A text transform: string columns are numpy arrays of str (bytes are decoded as UTF-8)."""


def _text(op, array):
    """A numpy array of str from the input (str, bytes, or arrays of them)."""
    array = np.asarray(array)
    if array.dtype.kind == "S":
        array = to_str(array)
    if array.dtype.kind != "U":
        raise RuntimeError(f"{op}: the input must be strings, got dtype {array.dtype}")
    return array


def _scalar_text(op, array):
    array = _text(op, array)
    if array.ndim != 0:
        raise RuntimeError(f"{op}: the input must be a scalar string, got shape {array.shape}")
    return str(array)


def _strings(tokens):
    """A 1-D str array, also when empty."""
    return np.array(tokens, dtype=str) if tokens else np.array([], dtype="<U1")


class _Tokenizer(TextTensorOperation):
    """A tokenizer: a scalar string to a 1-D array of tokens, or with_offsets to (tokens,
    offsets_start, offsets_limit), the UTF-8 byte offsets of each token, as uint32."""

    def __init__(self, with_offsets=False):
        self.with_offsets = check_type(type(self).__name__, "with_offsets", with_offsets, bool, "a bool")

    def _execute(self, array):
        text = _scalar_text(type(self).__name__, array)
        pieces = self._spans(text)
        return _output(text, pieces, self.with_offsets)

    def _spans(self, text):
        """[(token, char_start, char_end)] of the text."""
        raise NotImplementedError


def _byte_positions(text):
    """byte offset of each character position (len(text) + 1 entries)."""
    sizes = [len(ch.encode("utf-8")) for ch in text]
    return np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]) if sizes else np.zeros(1, np.int64)


def _output(text, pieces, with_offsets):
    tokens = _strings([p[0] for p in pieces])
    if not with_offsets:
        return tokens
    positions = _byte_positions(text)
    starts = np.array([positions[p[1]] for p in pieces], dtype=np.uint32)
    limits = np.array([positions[p[2]] for p in pieces], dtype=np.uint32)
    return tokens, starts, limits


class WhitespaceTokenizer(_Tokenizer):
    """Split a string at (Unicode) whitespace."""

    def _spans(self, text):
        return [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", text)]


class UnicodeCharTokenizer(_Tokenizer):
    """Split a string into its Unicode characters."""

    def _spans(self, text):
        return [(ch, i, i + 1) for i, ch in enumerate(text)]


def _icu_replacement(replace):
    """ICU's $1 group references in Python's \\g<1> form (a literal backslash kept)."""
    replace = replace.replace("\\", "\\\\")
    return re.sub(r"\$(\d+)", r"\\g<\1>", replace)


class RegexTokenizer(_Tokenizer):
    """Split a string at the matches of delim_pattern; a match that also fully matches
    keep_delim_pattern is kept as a token (Python's re, where MindSpore uses ICU's regex)."""

    def __init__(self, delim_pattern, keep_delim_pattern="", with_offsets=False):
        super().__init__(with_offsets)
        check_type("RegexTokenizer", "delim_pattern", delim_pattern, str, "a str")
        check_type("RegexTokenizer", "keep_delim_pattern", keep_delim_pattern, str, "a str")
        self.delim_pattern = delim_pattern
        self.keep_delim_pattern = keep_delim_pattern
        self._delim = re.compile(delim_pattern)
        self._keep = re.compile(keep_delim_pattern) if keep_delim_pattern else None

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_delim")
        state.pop("_keep")
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._delim = re.compile(self.delim_pattern)
        self._keep = re.compile(self.keep_delim_pattern) if self.keep_delim_pattern else None

    def _spans(self, text):
        pieces = []
        position = 0
        for match in self._delim.finditer(text):
            if match.start() == match.end():
                continue
            if match.start() > position:
                pieces.append((text[position:match.start()], position, match.start()))
            if self._keep is not None and self._keep.fullmatch(match.group()):
                pieces.append((match.group(), match.start(), match.end()))
            position = match.end()
        if position < len(text):
            pieces.append((text[position:], position, len(text)))
        return pieces


class UnicodeScriptTokenizer(_Tokenizer):
    """Split where the kind of character changes: letters and digits (together), other symbols one
    run per kind, whitespace (kept as tokens with keep_whitespace). An approximation of ICU's script
    boundaries: Python has no Unicode script property, so scripts of letters are not told apart."""

    def __init__(self, keep_whitespace=False, with_offsets=False):
        super().__init__(with_offsets)
        self.keep_whitespace = check_type("UnicodeScriptTokenizer", "keep_whitespace", keep_whitespace, bool,
                                          "a bool")

    def _spans(self, text):
        def kind(ch):
            if ch.isspace():
                return "space"
            if ch.isalnum():
                return "word"
            return unicodedata.category(ch)
        pieces = []
        start = 0
        for i in range(1, len(text) + 1):
            if i == len(text) or kind(text[i]) != kind(text[start]):
                if kind(text[start]) != "space" or self.keep_whitespace:
                    pieces.append((text[start:i], start, i))
                start = i
        return pieces


def _normalize(text, form):
    if form == NormalizeForm.NONE:
        return text
    return unicodedata.normalize(NormalizeForm(form).name, text)


class CaseFold(TextTensorOperation):
    """Unicode case folding (a stronger lower-casing: 'ß' -> 'ss') of every string."""

    def _execute(self, array):
        array = _text("CaseFold", array)
        return np.vectorize(str.casefold, otypes=[str])(array) if array.size else array


class NormalizeUTF8(TextTensorOperation):
    """Unicode normalization (NFC, NFKC, NFD, NFKD; NONE leaves it) of every string."""

    def __init__(self, normalize_form=NormalizeForm.NFKC):
        if not isinstance(normalize_form, NormalizeForm):
            raise TypeError(f"NormalizeUTF8: 'normalize_form' must be a NormalizeForm, "
                            f"got {type(normalize_form).__name__}")
        self.normalize_form = normalize_form

    def _execute(self, array):
        array = _text("NormalizeUTF8", array)
        if not array.size:
            return array
        return np.vectorize(lambda s: _normalize(s, self.normalize_form), otypes=[str])(array)


class RegexReplace(TextTensorOperation):
    """Replace the matches of pattern by replace ($1 refers to a group) in every string, all of
    them or only the first."""

    def __init__(self, pattern, replace, replace_all=True):
        self.pattern = check_type("RegexReplace", "pattern", pattern, str, "a str")
        self.replace = check_type("RegexReplace", "replace", replace, str, "a str")
        self.replace_all = check_type("RegexReplace", "replace_all", replace_all, bool, "a bool")

    def _execute(self, array):
        array = _text("RegexReplace", array)
        compiled = re.compile(self.pattern)
        replacement = _icu_replacement(self.replace)
        count = 0 if self.replace_all else 1
        if not array.size:
            return array
        return np.vectorize(lambda s: compiled.sub(replacement, s, count=count), otypes=[str])(array)


# BERT's basic tokenization: punctuation (ASCII symbols count too) and CJK ideographs are tokens
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
               (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
_UNUSED = re.compile(r"\[CLS\]|\[SEP\]|\[UNK\]|\[PAD\]|\[MASK\]|\[unused\d+\]")


def _is_split_char(ch):
    code = ord(ch)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    if unicodedata.category(ch).startswith("P"):
        return True
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _lower_and_strip_accents(text):
    folded = unicodedata.normalize("NFD", text.casefold())
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Mn")


class BasicTokenizer(_Tokenizer):
    """BERT's basic tokenization: control characters become spaces, the text is split at
    whitespace, and punctuation and CJK characters become tokens of their own. lower_case folds
    case and strips accents (NFD, marks removed); otherwise normalization_form applies.
    preserve_unused_token keeps [CLS], [SEP], [UNK], [PAD], [MASK] and [unusedN] whole. Offsets are
    byte offsets in the normalized text."""

    def __init__(self, lower_case=False, keep_whitespace=False, normalization_form=NormalizeForm.NONE,
                 preserve_unused_token=True, with_offsets=False):
        super().__init__(with_offsets)
        self.lower_case = check_type("BasicTokenizer", "lower_case", lower_case, bool, "a bool")
        self.keep_whitespace = check_type("BasicTokenizer", "keep_whitespace", keep_whitespace, bool, "a bool")
        if not isinstance(normalization_form, NormalizeForm):
            raise TypeError(f"BasicTokenizer: 'normalization_form' must be a NormalizeForm, "
                            f"got {type(normalization_form).__name__}")
        self.normalization_form = normalization_form
        self.preserve_unused_token = check_type("BasicTokenizer", "preserve_unused_token", preserve_unused_token,
                                                bool, "a bool")

    def _execute(self, array):
        text = self._prepare(_scalar_text("BasicTokenizer", array))
        return _output(text, self._spans(text), self.with_offsets)

    def _prepare(self, text):
        """The text the tokens and offsets refer to: normalized, control characters as spaces."""
        if self.lower_case:
            if self.preserve_unused_token:
                parts = []
                position = 0
                for match in _UNUSED.finditer(text):
                    parts.append(_lower_and_strip_accents(text[position:match.start()]))
                    parts.append(match.group())
                    position = match.end()
                parts.append(_lower_and_strip_accents(text[position:]))
                text = "".join(parts)
            else:
                text = _lower_and_strip_accents(text)
        else:
            text = _normalize(text, self.normalization_form)
        return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") and not ch.isspace() else ch
                       for ch in text)

    def _spans(self, text):
        protected = {}
        if self.preserve_unused_token:
            protected = {m.start(): m.end() for m in _UNUSED.finditer(text)}
        pieces = []
        word_start = None
        i = 0
        while i < len(text):
            ch = text[i]
            if i in protected:
                if word_start is not None:
                    pieces.append((text[word_start:i], word_start, i))
                    word_start = None
                pieces.append((text[i:protected[i]], i, protected[i]))
                i = protected[i]
                continue
            if ch.isspace() or _is_split_char(ch):
                if word_start is not None:
                    pieces.append((text[word_start:i], word_start, i))
                    word_start = None
                if ch.isspace():
                    end = i + 1
                    while end < len(text) and text[end].isspace() and end not in protected:
                        end += 1
                    if self.keep_whitespace:
                        pieces.append((text[i:end], i, end))
                    i = end
                    continue
                pieces.append((ch, i, i + 1))
            elif word_start is None:
                word_start = i
            i += 1
        if word_start is not None:
            pieces.append((text[word_start:], word_start, len(text)))
        return pieces


def _check_vocab(op, vocab):
    if not isinstance(vocab, Vocab):
        raise TypeError(f"{op}: 'vocab' must be a text.Vocab, got {type(vocab).__name__}")
    return vocab


class WordpieceTokenizer(TextTensorOperation):
    """Split each token (a 1-D array of str) into the longest pieces found in vocab, the pieces
    after the first prefixed by suffix_indicator; a token with no split, or longer than
    max_bytes_per_token bytes, becomes unknown_token (or stays as it is when unknown_token is '').
    with_offsets gives byte offsets of the pieces within their token."""

    def __init__(self, vocab, suffix_indicator="##", max_bytes_per_token=100, unknown_token="[UNK]",
                 with_offsets=False):
        self.vocab = _check_vocab("WordpieceTokenizer", vocab)
        self.suffix_indicator = check_type("WordpieceTokenizer", "suffix_indicator", suffix_indicator, str, "a str")
        self.max_bytes_per_token = check_int("WordpieceTokenizer", "max_bytes_per_token", max_bytes_per_token, 0)
        self.unknown_token = check_type("WordpieceTokenizer", "unknown_token", unknown_token, str, "a str")
        self.with_offsets = check_type("WordpieceTokenizer", "with_offsets", with_offsets, bool, "a bool")

    def _execute(self, array):
        tokens = _text("WordpieceTokenizer", array)
        if tokens.ndim > 1:
            raise RuntimeError(f"WordpieceTokenizer: the input must be a 1-D array of tokens, got shape {tokens.shape}")
        pieces = []
        starts = []
        limits = []
        for token in tokens.reshape(-1):
            for piece, start, end in self._split(str(token)):
                pieces.append(piece)
                starts.append(start)
                limits.append(end)
        out = _strings(pieces)
        if not self.with_offsets:
            return out
        return out, np.array(starts, dtype=np.uint32), np.array(limits, dtype=np.uint32)

    def _split(self, token):
        """[(piece, byte_start, byte_end)] of one token."""
        size = len(token.encode("utf-8"))
        if size > self.max_bytes_per_token:
            return [(self.unknown_token or token, 0, size)]
        positions = _byte_positions(token)
        known = self.vocab._token_to_id
        pieces = []
        start = 0
        while start < len(token):
            end = len(token)
            found = None
            while end > start:
                candidate = token[start:end]
                if start > 0:
                    candidate = self.suffix_indicator + candidate
                if candidate in known:
                    found = candidate
                    break
                end -= 1
            if found is None:
                return [(self.unknown_token or token, 0, size)]
            pieces.append((found, int(positions[start]), int(positions[end])))
            start = end
        return pieces


class BertTokenizer(TextTensorOperation):
    """BasicTokenizer then WordpieceTokenizer; with_offsets gives each piece's byte offsets in the
    (normalized) sentence."""

    def __init__(self, vocab, suffix_indicator="##", max_bytes_per_token=100, unknown_token="[UNK]",
                 lower_case=False, keep_whitespace=False, normalization_form=NormalizeForm.NONE,
                 preserve_unused_token=True, with_offsets=False):
        self._wordpiece = WordpieceTokenizer(vocab, suffix_indicator, max_bytes_per_token, unknown_token, True)
        self._basic = BasicTokenizer(lower_case, keep_whitespace, normalization_form, preserve_unused_token, True)
        self.vocab = vocab
        self.suffix_indicator = suffix_indicator
        self.max_bytes_per_token = max_bytes_per_token
        self.unknown_token = unknown_token
        self.lower_case = lower_case
        self.keep_whitespace = keep_whitespace
        self.normalization_form = normalization_form
        self.preserve_unused_token = preserve_unused_token
        self.with_offsets = check_type("BertTokenizer", "with_offsets", with_offsets, bool, "a bool")

    def _execute(self, array):
        words, word_starts, _ = self._basic._execute(array)
        pieces = []
        starts = []
        limits = []
        for word, word_start in zip(words.tolist(), word_starts.tolist()):
            for piece, start, end in self._wordpiece._split(word):
                pieces.append(piece)
                starts.append(word_start + start)
                limits.append(word_start + end)
        out = _strings(pieces)
        if not self.with_offsets:
            return out
        return out, np.array(starts, dtype=np.uint32), np.array(limits, dtype=np.uint32)


class PythonTokenizer(TextTensorOperation):
    """Tokenize a scalar string with a Python function (str -> list of str)."""

    def __init__(self, tokenizer):
        self.tokenizer = check_callable("PythonTokenizer", "tokenizer", tokenizer)
        self.random = False

    def _execute(self, array):
        text = _scalar_text("PythonTokenizer", array)
        return _strings([str(token) for token in self.tokenizer(text)])


class Lookup(TextTensorOperation):
    """Tokens to ids through vocab (unknown tokens map to unknown_token's id; without one, an
    unknown token is an error), as data_type (int32 by default)."""

    def __init__(self, vocab, unknown_token=None, data_type=np.int32):
        self.vocab = _check_vocab("Lookup", vocab)
        if unknown_token is not None:
            check_type("Lookup", "unknown_token", unknown_token, str, "a str")
            if unknown_token not in vocab:
                raise ValueError(f"Lookup: 'unknown_token' {unknown_token!r} is not in the vocab")
        self.unknown_token = unknown_token
        self.data_type = numpy_dtype("Lookup", "data_type", data_type)
        if self.data_type.kind not in "iuf" and self.data_type != np.bool_:
            raise TypeError(f"Lookup: 'data_type' must be numeric, got {self.data_type}")

    def _execute(self, array):
        tokens = _text("Lookup", array)
        table = self.vocab._token_to_id
        default = table[self.unknown_token] if self.unknown_token is not None else None
        ids = []
        for token in tokens.reshape(-1).tolist():
            index = table.get(token, default)
            if index is None:
                raise RuntimeError(f"Lookup: token {token!r} is not in the vocab and no unknown_token was given")
            ids.append(index)
        return np.array(ids, dtype=self.data_type).reshape(tokens.shape)


class Ngram(TextTensorOperation):
    """The n-grams of a 1-D array of strings for each n in n (an int or a list), each sequence
    padded with up to n - 1 copies of left_pad[0] / right_pad[0] (at most left_pad[1] / right_pad[1]),
    the words of an n-gram joined by separator."""

    def __init__(self, n, left_pad=("", 0), right_pad=("", 0), separator=" "):
        n = [n] if isinstance(n, int) else n
        if not isinstance(n, list) or not n:
            raise TypeError(f"Ngram: 'n' must be a positive int or a non-empty list of them, got {n!r}")
        for value in n:
            check_int("Ngram", "n", value, 1)
        for name, pad in (("left_pad", left_pad), ("right_pad", right_pad)):
            if not isinstance(pad, tuple) or len(pad) != 2 or not isinstance(pad[0], str):
                raise TypeError(f"Ngram: '{name}' must be a tuple (str, int), got {pad!r}")
            check_int("Ngram", name, pad[1], 0)
        self.n = n
        self.left_pad = left_pad
        self.right_pad = right_pad
        self.separator = check_type("Ngram", "separator", separator, str, "a str")

    def _execute(self, array):
        words = _text("Ngram", array)
        if words.ndim != 1:
            raise RuntimeError(f"Ngram: the input must be a 1-D array of strings, got shape {words.shape}")
        words = words.tolist()
        grams = []
        for n in self.n:
            left = [self.left_pad[0]] * min(self.left_pad[1], n - 1)
            right = [self.right_pad[0]] * min(self.right_pad[1], n - 1)
            sequence = left + words + right
            for start in range(len(sequence) - n + 1):
                grams.append(self.separator.join(sequence[start:start + n]))
        return _strings(grams)


class SlidingWindow(TextTensorOperation):
    """Windows of width along axis of a 1-D array: shape (len - width + 1, width)."""

    def __init__(self, width, axis=0):
        self.width = check_int("SlidingWindow", "width", width, 1, 2147483647)
        self.axis = check_int("SlidingWindow", "axis", axis)

    def _execute(self, array):
        array = np.asarray(array)
        if array.ndim != 1 or self.axis not in (0, -1):
            raise RuntimeError(f"SlidingWindow: only 1-D input along axis 0 is supported, got shape {array.shape} "
                               f"and axis {self.axis}")
        count = array.shape[0] - self.width + 1
        if count <= 0:
            return np.empty((0, self.width), dtype=array.dtype)
        return np.stack([array[i:i + self.width] for i in range(count)])


class ToNumber(TextTensorOperation):
    """Parse strings as numbers of data_type (a numeric mindspore or numpy dtype); a string that is
    not a number, or out of the type's range, is an error."""

    def __init__(self, data_type):
        self.data_type = numpy_dtype("ToNumber", "data_type", data_type)
        if self.data_type.kind not in "iuf":
            raise TypeError(f"ToNumber: 'data_type' must be a numeric type, got {self.data_type}")

    def _execute(self, array):
        strings = _text("ToNumber", array)
        values = []
        for text in strings.reshape(-1).tolist():
            try:
                value = int(text) if self.data_type.kind in "iu" else float(text)
            except ValueError:
                raise RuntimeError(f"ToNumber: {text!r} is not a valid {self.data_type} number") from None
            if self.data_type.kind in "iu":
                info = np.iinfo(self.data_type)
                if value < info.min or value > info.max:
                    raise RuntimeError(f"ToNumber: {text!r} is out of the range of {self.data_type}")
            elif np.isfinite(value) and abs(value) > np.finfo(self.data_type).max:
                raise RuntimeError(f"ToNumber: {text!r} is out of the range of {self.data_type}")
            values.append(value)
        return np.array(values, dtype=self.data_type).reshape(strings.shape)


class Truncate(TextTensorOperation):
    """Keep the first max_seq_len elements of the last axis of a 1-D or 2-D array."""

    def __init__(self, max_seq_len):
        self.max_seq_len = check_int("Truncate", "max_seq_len", max_seq_len, 1, 2147483647)

    def _execute(self, array):
        if array.ndim not in (1, 2):
            raise RuntimeError(f"Truncate: the input must be 1-D or 2-D, got shape {array.shape}")
        return array[..., :self.max_seq_len].copy()


class TruncateSequencePair(TextTensorOperation):
    """Shorten two 1-D arrays until their total length is at most max_length, taking one element
    at a time from the end of the longer one (BERT's sentence pairs)."""

    def __init__(self, max_length):
        self.max_length = check_int("TruncateSequencePair", "max_length", max_length, 0, 2147483647)

    def _execute(self, first, second):
        len_a = len(first)
        len_b = len(second)
        while len_a + len_b > self.max_length:
            if len_a > len_b:
                len_a -= 1
            else:
                len_b -= 1
        return first[:len_a].copy(), second[:len_b].copy()


class AddToken(TextTensorOperation):
    """Add token at the beginning (begin=True) or the end of a 1-D array of strings."""

    def __init__(self, token, begin=True):
        self.token = check_type("AddToken", "token", token, str, "a str")
        self.begin = check_type("AddToken", "begin", begin, bool, "a bool")

    def _execute(self, array):
        tokens = _text("AddToken", array)
        if tokens.ndim != 1:
            raise RuntimeError(f"AddToken: the input must be a 1-D array of strings, got shape {tokens.shape}")
        parts = [self.token] + tokens.tolist() if self.begin else tokens.tolist() + [self.token]
        return _strings(parts)




_WIKI_RULES = [
    (r"<ref[^<]*</ref>", ""),
    (r"<[^>]*>", ""),
    (r"\[https?:[^\] ]*", "["),
    (r"\|thumb", ""), (r"\|left", ""), (r"\|right", ""), (r"\|\d+px", ""),
    (r"\[\[image:[^\[\]]*\|", ""),
    (r"\[\[category:([^|\]]*)[^\]]*\]\]", r"[[\1]]"),
    (r"\[\[[a-z\-]*:[^\]]*\]\]", ""),
    (r"\[\[[^\|\]]*\|", "[["),
    (r"\{\{[^}]*\}\}", ""),
    (r"\{[^}]*\}", ""),
    (r"[\[\]]", ""),
    (r"&[^;]*;", " "),
]
_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def filter_wikipedia_text(text):
    """Matt Mahoney's wikifil.pl on one string: markup, links and references removed, digits
    spelled out, only lowercase letters and single spaces left."""
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    for pattern, replacement in _WIKI_RULES:
        flags = re.IGNORECASE if pattern.startswith((r"\|", r"\[\[image", r"\[\[category")) else 0
        text = re.sub(pattern, replacement, text, flags=flags)
    text = text.lower()
    for digit, word in enumerate(_DIGITS):
        text = text.replace(str(digit), f" {word} ")
    text = re.sub(r"[^a-z]+", " ", f" {text} ")
    return text.strip()


class FilterWikipediaXML(TextTensorOperation):
    """Clean Wikipedia XML text to lowercase letters and single spaces (wikifil.pl's rules: tags,
    references, link targets and templates removed, digits spelled out)."""

    def _execute(self, array):
        strings = _text("FilterWikipediaXML", array)
        if not strings.size:
            return strings
        return np.vectorize(filter_wikipedia_text, otypes=[str])(strings)
