"""The staff key read through an index (grader.exam.key): the same entries as reading the whole
file, wherever the chunks end, and the same one-line errors for a key that is not one."""
import hashlib
import json

import pytest

import grader.exam.key as key_module
from grader.errors import GraderError
from grader.exam.key import JsonIndex, KeyIndex

KEY = {"students": {"é\u1234x": [{"problem": "p", "params": {"w": [1.5e3, -2, None, True]}, "note": "a \"q\" \\ ü"}],
                    "s2": [{"problem": "p", "params": {}}, {"problem": "q", "parts": []}]},
       "version": 12345, "exam": "mid\u00fcterm"}


def write(tmp_path, text: str):
    (tmp_path / "staff").mkdir(exist_ok=True)
    path = tmp_path / "staff" / "key.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("chunk", [1, 2, 7, 1 << 20])
@pytest.mark.parametrize("indent", [None, 2])
def test_entries_are_what_the_whole_file_says(tmp_path, monkeypatch, chunk, indent):
    monkeypatch.setattr(key_module, "CHUNK", chunk)
    text = json.dumps(KEY, indent=indent, ensure_ascii=indent is None)
    path = write(tmp_path, "\ufeff" + text if indent else text)
    index = KeyIndex(path)
    assert index.exam == KEY["exam"] and index.ids == list(KEY["students"])
    assert all(index.entries(sid) == entries for sid, entries in KEY["students"].items())
    assert index.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert index.head["version"] == 12345


def test_a_repeated_student_counts_once_as_the_last(tmp_path):
    index = KeyIndex(write(tmp_path, '{"exam": "x", "students": {"a": [{"n": 1}], "b": [{}], "a": [{"n": 2}]}}'))
    assert index.ids == ["b", "a"] and index.entries("a") == [{"n": 2}]


@pytest.mark.parametrize("text, needle", [
    ('{"exam": "x", "students": {"a": [{}]}} trailing', "not valid JSON: Extra data at line 1, column 40"),
    ('{"exam": "x", "students": {"a": [{}]', "not valid JSON"),
    ('{"exam": "x", "students": {"a": []}}', "malformed entry for student 'a'"),
    ('{"exam": "x", "students": {"a": {"problem": "p"}}}', "malformed entry for student 'a'"),
    ('{"exam": "x", "students": {}}', "not an exam key"),
    ('{"exam": "x", "students": []}', "not an exam key"),
    ('{"students": {"a": [{}]}}', "not an exam key"),
    ('[1, 2]', "not an exam key"),
    ('', "not valid JSON"),
])
def test_a_key_that_is_not_one_is_one_error(tmp_path, text, needle):
    with pytest.raises(GraderError) as caught:
        KeyIndex(write(tmp_path, text))
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_key(tmp_path):
    with pytest.raises(GraderError, match="no staff/key.json"):
        KeyIndex(tmp_path / "staff" / "key.json")


def test_any_member_of_any_object_file(tmp_path):
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps({"key": "k", "students": {"s1": {"file": "a"}, "s2": {"file": "b"}}}, indent=2))
    index = JsonIndex(path, "students")
    assert index.head == {"key": "k"} and index.get("s2") == {"file": "b"}
    path.write_text('{"students": {"s1": 1')
    with pytest.raises(ValueError):
        JsonIndex(path, "students")


def test_an_entry_that_is_not_json_is_named_when_read(tmp_path):
    index = KeyIndex(write(tmp_path, '{"exam": "x", "students": {"a": [{"w": NaN}]}}'))
    with pytest.raises(GraderError, match="student 'a': not valid JSON: NaN is not allowed"):
        index.entries("a")
