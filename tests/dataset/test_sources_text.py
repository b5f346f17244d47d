"""TextFileDataset and CSVDataset over text and CSV files the tests write."""
import csv
import pickle

import numpy
import pytest

from sporen.dataset.sources_text import CSVSource, TextFileSource, find_files


def write(path, text):
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def rows(source):
    return [tuple(value.item() for value in source[k]) for k in range(len(source))]


def test_find_files_sorted_and_globs(tmp_path):
    b = write(tmp_path / "b.txt", "x\n")
    a = write(tmp_path / "a.txt", "y\n")
    assert find_files("TextFileDataset", [b, a]) == [a, b]
    assert find_files("TextFileDataset", str(tmp_path / "*.txt")) == [a, b]
    with pytest.raises(ValueError, match=r"patterns matched no file: \['.*nothing\*'\]"):
        find_files("TextFileDataset", [a, str(tmp_path / "nothing*")])
    with pytest.raises(TypeError, match="'dataset_files' must be a str or a list of str"):
        find_files("TextFileDataset", [a, 3])
    with pytest.raises(ValueError, match="at least one file"):
        find_files("TextFileDataset", [])


def test_text_file_rows_skip_empty_lines(tmp_path):
    first = write(tmp_path / "1.txt", "Be happy every day.\n\nThis is a text file.\r\nnaïve\n")
    second = write(tmp_path / "2.txt", "last line without newline")
    source = TextFileSource("TextFileDataset", [first, second])
    assert source.column_names == ["text"]
    assert len(source) == 4
    value = source[0][0]
    assert value.shape == () and value.dtype.kind == "U"
    # MindSpore drops empty lines and keeps a '\r' (it splits at '\n' only)
    assert [str(source[k][0]) for k in range(4)] == [
        "Be happy every day.", "This is a text file.\r", "naïve", "last line without newline"]
    assert source.rows_per_file == [3, 1]
    assert source.file_row_starts().tolist() == [0, 3]
    clone = pickle.loads(pickle.dumps(source))
    assert str(clone[3][0]) == "last line without newline"


def test_text_file_no_rows(tmp_path):
    empty = write(tmp_path / "e.txt", "\n\n")
    with pytest.raises(RuntimeError, match="no rows found"):
        TextFileSource("TextFileDataset", [empty])


def test_csv_header_types_defaults_quotes(tmp_path):
    text = ('id,score,name,note\n'
            '1,0.5,"Smith, John",plain\n'
            '\n'
            '2,,"multi\nline",\n'
            ',2.25,"say ""hi""",x\n')
    path = write(tmp_path / "a.csv", text)
    source = CSVSource("CSVDataset", [path], column_defaults=[-1, 9.5, "?"])
    assert source.column_names == ["id", "score", "name", "note"]
    assert len(source) == 3
    first = source[0]
    assert first[0].dtype == numpy.int32 and first[0].shape == ()
    assert first[1].dtype == numpy.float32
    assert first[2].dtype.kind == "U" and first[3].dtype.kind == "U"
    # an empty field takes its column's default; columns past column_defaults are strings, default ''
    assert rows(source) == [(1, 0.5, "Smith, John", "plain"), (2, 9.5, "multi\nline", ""),
                            (-1, 2.25, 'say "hi"', "x")]
    # the same rows as Python's csv module reads them
    expected = [r for r in csv.reader(open(path, newline=""))][1:]
    expected = [r for r in expected if r]
    assert [[str(v) for v in row] for row in rows(CSVSource("CSVDataset", [path]))] == expected


def test_csv_column_names_delim_and_several_files(tmp_path):
    first = write(tmp_path / "1.csv", "1|a\n2|b\n")
    second = write(tmp_path / "2.csv", "3|c\n")
    source = CSVSource("CSVDataset", [first, second], field_delim="|", column_defaults=[0, ""],
                       column_names=["n", "s"])
    assert source.column_names == ["n", "s"]
    assert rows(source) == [(1, "a"), (2, "b"), (3, "c")]
    assert source.rows_per_file == [2, 1]


def test_csv_errors(tmp_path):
    first = write(tmp_path / "1.csv", "a,b\n1,2\n")
    other = write(tmp_path / "2.csv", "a,c\n3,4\n")
    with pytest.raises(RuntimeError, match="the header of .*2.csv.* differs"):
        CSVSource("CSVDataset", [first, other])
    with pytest.raises(ValueError, match="'column_defaults' has 3 values but there are only 2 columns"):
        CSVSource("CSVDataset", [first], column_defaults=[1, 2, 3])
    with pytest.raises(TypeError, match="'column_defaults' values must be int, float or str, got list"):
        CSVSource("CSVDataset", [first], column_defaults=[[1]])
    ragged = write(tmp_path / "3.csv", "a,b\n1,2,3\n")
    with pytest.raises(RuntimeError, match="line 2 of .* has 3 fields, expected 2"):
        CSVSource("CSVDataset", [ragged])
    typed = CSVSource("CSVDataset", [write(tmp_path / "4.csv", "a\nxyz\n")], column_defaults=[0])
    with pytest.raises(RuntimeError, match="column 'a': 'xyz' is not a valid int"):
        typed[0]
    duplicate = write(tmp_path / "5.csv", "a,a\n1,2\n")
    with pytest.raises(RuntimeError, match=r"duplicate column names \['a'\]"):
        CSVSource("CSVDataset", [duplicate])
