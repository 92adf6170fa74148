"""clean(): the ASCII fast path drops exactly what the XML 1.0 character rule drops."""

from __future__ import annotations

from feedhub.publish.document import _NOT_XML, clean


def test_fast_path_agrees_with_the_xml_character_rule() -> None:
    samples = [*range(0x300), 0x2028, 0xD800, 0xDFFF, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000]
    for cp in samples:
        for text in (chr(cp), f"ab{chr(cp)}", f"{chr(cp)} title"):
            assert clean(text) == _NOT_XML.sub("", text), hex(cp)
    assert clean("tab\tnew\nline\r") == "tab\tnew\nline\r"
    assert clean("bell\x07 del\x7f") == "bell del"
