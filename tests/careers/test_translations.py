"""The Simplified Chinese catalog: complete, placeholder-safe, compiled, and served to users.

The catalog is read with a small parser of its own so that the checks need no extra package
and do not go through Django's translation machinery, which would hide an empty or fuzzy entry
behind the English fallback.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

CATALOG_DIR = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"
PO_PATH = CATALOG_DIR / "django.po"
MO_PATH = CATALOG_DIR / "django.mo"

# Named and positional printf placeholders, the escaped percent sign, and str.format fields.
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdifr]|%[sdifr]|%%|\{[A-Za-z_][A-Za-z0-9_]*\}")
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


@dataclass
class CatalogEntry:
    """One message of a .po file, with the line where it starts for readable failures."""

    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None


def _unquote(quoted: str) -> str:
    body = quoted.strip()
    if len(body) < 2 or body[0] != '"' or body[-1] != '"':
        raise ValueError(f"not a quoted .po string: {quoted!r}")
    return re.sub(r"\\(.)", lambda match: ESCAPES.get(match.group(1), match.group(0)), body[1:-1])


def parse_po(text: str) -> list[CatalogEntry]:
    """Parse the entries of a .po file; obsolete (`#~`) entries are left out."""
    entries: list[CatalogEntry] = []
    entry: CatalogEntry | None = None
    # The keyword (and plural index) that a continuation line "..." belongs to.
    current: tuple[str, int] | None = None

    def start_entry(line_number: int) -> CatalogEntry:
        new_entry = CatalogEntry(line=line_number)
        entries.append(new_entry)
        return new_entry

    pending_flags: set[str] = set()
    for line_number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, current = None, None
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        keyword_match = re.match(
            r"(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line
        )
        if keyword_match:
            keyword, index, value = keyword_match.groups()
            # A new entry begins at msgctxt, or at msgid when no msgctxt opened it.
            if keyword == "msgctxt" or (keyword == "msgid" and (entry is None or entry.msgstr)):
                entry = start_entry(line_number)
                entry.flags, pending_flags = pending_flags, set()
            if entry is None:
                raise ValueError(f"line {line_number}: {keyword} outside an entry")
            if keyword.startswith("msgstr"):
                plural_index = int(index) if index is not None else 0
                entry.msgstr[plural_index] = _unquote(value)
                current = ("msgstr", plural_index)
            else:
                setattr(entry, keyword, _unquote(value))
                current = (keyword, 0)
            continue
        if line.startswith('"') and entry is not None and current is not None:
            keyword, plural_index = current
            if keyword == "msgstr":
                entry.msgstr[plural_index] += _unquote(line)
            else:
                setattr(entry, keyword, getattr(entry, keyword) + _unquote(line))
            continue
        raise ValueError(f"line {line_number}: cannot read {raw!r}")
    return entries


def _placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text))


def _tags(text: str) -> Counter[str]:
    return Counter(HTML_TAG.findall(text))


def _messages() -> list[CatalogEntry]:
    return [entry for entry in parse_po(PO_PATH.read_text(encoding="utf-8")) if not entry.is_header]


def _header_entry() -> CatalogEntry:
    return next(entry for entry in parse_po(PO_PATH.read_text(encoding="utf-8")) if entry.is_header)


def _where(entry: CatalogEntry) -> str:
    return f"django.po line {entry.line}: {entry.msgid!r}"


def test_parser_reads_multiline_plural_context_and_fuzzy_entries():
    sample = "\n".join(
        [
            'msgid ""',
            'msgstr ""',
            '"Language: zh_Hans\\n"',
            "",
            "#: a.py:1",
            "#, fuzzy, python-format",
            'msgid ""',
            '"Hello %(name)s, "',
            '"welcome \\"back\\""',
            'msgstr "你好 %(name)s"',
            "",
            'msgctxt "menu"',
            'msgid "Open"',
            'msgstr "打开"',
            "",
            'msgid "one unit"',
            'msgid_plural "%(n)s units"',
            'msgstr[0] "%(n)s 个单元"',
            "",
            '#~ msgid "Gone"',
            '#~ msgstr "已删除"',
        ]
    )
    header, greeting, menu, units = parse_po(sample)
    assert header.is_header and header.msgstr[0] == "Language: zh_Hans\n"
    assert greeting.msgid == 'Hello %(name)s, welcome "back"'
    assert greeting.flags == {"fuzzy", "python-format"}
    assert (menu.msgctxt, menu.msgid, menu.msgstr[0], menu.flags) == ("menu", "Open", "打开", set())
    assert units.msgid_plural == "%(n)s units"
    assert units.msgstr == {0: "%(n)s 个单元"}


def test_placeholder_check_catches_a_dropped_or_renamed_placeholder():
    assert _placeholders("Closed %(n)s campaigns, 95%% CI") == _placeholders(
        "已关闭 %(n)s 个评分活动，95%% 置信区间"
    )
    assert _placeholders("Closed %(n)s campaigns.") != _placeholders(
        "已关闭 %(count)s 个评分活动。"
    )
    assert _placeholders("{name} and %s") != _placeholders("{名称} 和 %s")


def test_catalog_header_declares_simplified_chinese_with_one_plural_form():
    header_entry = _header_entry()
    # msgfmt drops a fuzzy header, and with it the charset and the plural rule.
    assert "fuzzy" not in header_entry.flags
    fields = (line.split(":", 1) for line in header_entry.msgstr[0].splitlines() if ":" in line)
    header = {name.strip(): value.strip() for name, value in fields}
    assert header["Language"] == "zh_Hans"
    assert "charset=UTF-8" in header["Content-Type"]
    assert header["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"


def test_every_message_is_translated_and_none_is_fuzzy():
    messages = _messages()
    assert len(messages) > 200, "the catalog looks truncated"
    untranslated = [_where(entry) for entry in messages if not all(entry.msgstr.values())]
    fuzzy = [_where(entry) for entry in messages if "fuzzy" in entry.flags]
    assert not untranslated, untranslated
    assert not fuzzy, fuzzy


def test_plural_messages_have_exactly_one_chinese_form():
    wrong = [
        _where(entry)
        for entry in _messages()
        if entry.msgid_plural is not None and set(entry.msgstr) != {0}
    ]
    assert not wrong, wrong


def test_translations_keep_every_placeholder_and_html_tag():
    mismatched = []
    for entry in _messages():
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        for translation in entry.msgstr.values():
            placeholder_ok = any(_placeholders(s) == _placeholders(translation) for s in sources)
            if not placeholder_ok or _tags(entry.msgid) != _tags(translation):
                mismatched.append(f"{_where(entry)} -> {translation!r}")
    assert not mismatched, mismatched


def test_glossary_terms_are_used_for_the_riasec_areas_and_the_login():
    translations = {entry.msgid: entry.msgstr[0] for entry in _messages()}
    expected = {
        "Realistic": "现实型",
        "Investigative": "研究型",
        "Artistic": "艺术型",
        "Social": "社会型",
        "Enterprising": "企业型",
        "Conventional": "常规型",
        "Sign in": "登录",
        "Log out": "退出登录",
        "Work sample": "工作样本",
    }
    assert {msgid: translations.get(msgid) for msgid in expected} == expected


def test_committed_mo_is_compiled_from_the_current_po(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip(
            "msgfmt (GNU gettext) is not installed, so the .mo cannot be rebuilt to compare"
        )
    assert MO_PATH.exists(), "run `manage.py compilemessages -l zh_Hans`"
    rebuilt = tmp_path / "django.mo"
    # The same call compilemessages makes, so identical input gives identical bytes.
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [msgfmt, "--check-format", "-o", str(rebuilt), str(PO_PATH)],
        check=True,
        capture_output=True,
    )
    assert rebuilt.read_bytes() == MO_PATH.read_bytes(), (
        "django.mo is stale: run `manage.py compilemessages -l zh_Hans`"
    )


@pytest.mark.django_db
def test_login_page_is_chinese_when_the_browser_asks_for_chinese(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-hans"' in html
    assert "登录" in html
    assert "用户名" in html
    assert "Sign in" not in html


@pytest.mark.django_db
def test_login_page_is_chinese_when_the_language_cookie_says_so(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "登录" in html
    assert "Sign in" not in html


@pytest.mark.django_db
def test_login_page_stays_english_for_english(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in html
    assert "Sign in" in html
    assert "Username" in html
    assert "登录" not in html
