"""SubRip / WebVTT parsing and subtitle markup, on the shapes real files come in."""

from __future__ import annotations

import pytest

from streams.subtitles import find_sidecar, parse_ass_dialogue, parse_srt, parse_vtt, read_sidecar, strip_markup


def spans(cues) -> list[tuple[float, float, str]]:
    return [(c.time, c.end, c.text) for c in cues]


def test_srt_basic():
    text = "1\n00:00:01,000 --> 00:00:02,500\nHello\n\n2\n00:01:02,250 --> 01:00:00,000\nTwo\nlines\n\n"
    cues = parse_srt(text, stream="s-1")
    assert spans(cues) == [(1.0, 2.5, "Hello"), (62.25, 3600.0, "Two\nlines")]
    assert all(c.stream == "s-1" and c.origin == "sidecar" and c.speaker is None for c in cues)


def test_srt_with_bom_crlf_and_no_final_blank_line():
    text = "\ufeff1\r\n00:00:01,000 --> 00:00:02,000\r\nFirst\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nLast"
    assert spans(parse_srt(text)) == [(1.0, 2.0, "First"), (3.0, 4.0, "Last")]


def test_srt_without_blank_lines_between_cues():
    text = "1\n00:00:01,000 --> 00:00:02,000\nOne\n2\n00:00:03,000 --> 00:00:04,000\nTwo\n"
    assert spans(parse_srt(text)) == [(1.0, 2.0, "One"), (3.0, 4.0, "Two")]


def test_srt_html_tags_and_entities_are_stripped_and_speaker_lines_kept_whole():
    text = '1\n00:00:01,000 --> 00:00:02,000\n<i>Alice:</i> <font color="red">the keys</font> &amp; the mug\n'
    (cue,) = parse_srt(text)
    assert cue.text == "Alice: the keys & the mug"
    assert cue.speaker is None


def test_srt_loose_timestamps():
    # dots instead of commas, one-digit hours, short fractions, extra spaces
    text = "00:00:01.5-->0:00:02.25\nA\n\n 00:00:03,000  -->  00:00:04,000 X1:100 Y1:200\nB\n"
    assert spans(parse_srt(text)) == [(1.5, 2.25, "A"), (3.0, 4.0, "B")]


def test_srt_cues_without_text_are_dropped():
    text = "1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n\n2\n00:00:03,000 --> 00:00:04,000\nKept\n"
    assert spans(parse_srt(text)) == [(3.0, 4.0, "Kept")]


def test_vtt_header_blocks_ids_settings_and_voices():
    text = (
        "WEBVTT - a title\n\nNOTE this is\na comment\n\nSTYLE\n::cue { color: red }\n\n"
        "intro\n00:01.000 --> 00:02.000 align:start position:10%\n<v Alice>Where are <b>the keys</b>?</v>\n\n"
        "00:00:03.000 --> 00:00:04.500\n<c.yellow>Bob:</c> <00:00:03.500>on the table&nbsp;&lt;3\n"
    )
    cues = parse_vtt(text)
    assert spans(cues) == [(1.0, 2.0, "Where are the keys?"), (3.0, 4.5, "Bob: on the table <3")]
    assert [c.speaker for c in cues] == ["Alice", None]


def test_vtt_with_bom_and_crlf():
    text = "\ufeffWEBVTT\r\n\r\n00:00.000 --> 00:01.000\r\nHi"
    assert spans(parse_vtt(text)) == [(0.0, 1.0, "Hi")]


def test_read_sidecar_sorts_and_decodes_any_text_encoding(tmp_path):
    body = "2\n00:00:05,000 --> 00:00:06,000\nCafé\n\n1\n00:00:01,000 --> 00:00:02,000\nFirst\n"
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "latin-1"):
        path = tmp_path / f"v.{encoding}.srt"
        path.write_bytes(body.encode(encoding))
        assert spans(read_sidecar(path, "s")) == [(1.0, 2.0, "First"), (5.0, 6.0, "Café")]


def test_read_sidecar_sniffs_vtt_content(tmp_path):
    path = tmp_path / "v.srt"
    path.write_text("WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>Hi\n")
    (cue,) = read_sidecar(path)
    assert (cue.text, cue.speaker) == ("Hi", "Ann")


def test_find_sidecar_prefers_the_plain_stem(tmp_path):
    video = tmp_path / "my [clip].mp4"
    video.write_bytes(b"")
    assert find_sidecar(video) is None
    (tmp_path / "my [clip].fr.vtt").write_text("WEBVTT\n")
    (tmp_path / "my [clip].notes.txt").write_text("")
    assert find_sidecar(video).name == "my [clip].fr.vtt"
    (tmp_path / "my [clip].srt").write_text("")
    assert find_sidecar(video).name == "my [clip].srt"


def test_other_files_are_not_sidecars(tmp_path):
    video = tmp_path / "a.mp4"
    (tmp_path / "a.b.c.srt").write_text("")
    (tmp_path / "ab.srt").write_text("")
    assert find_sidecar(video) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("0,0,Default,,0,0,0,,Hello world", (None, "Hello world")),
        (r"3,0,Default,Alice,0,0,0,,{\i1}Where{\i0} are\Nthe keys, then?", ("Alice", "Where are\nthe keys, then?")),
        ("Dialogue: 0,0:00:01.00,0:00:02.00,Default,Bob,0,0,0,,Hi, you", ("Bob", "Hi, you")),
        (r"0,0,Default,,0,0,0,,{\pos(10,20)}\h", (None, "")),
    ],
)
def test_parse_ass_dialogue(line, expected):
    assert parse_ass_dialogue(line) == expected


def test_strip_markup():
    assert strip_markup("<b>Bold</b>  and   <i>italic</i>\n\n  next ") == "Bold and italic\nnext"
    assert strip_markup(r"{\an8}Top\Nline") == "Top\nline"
    assert strip_markup("5 < 6 and 7 > 3") == "5 < 6 and 7 > 3"
