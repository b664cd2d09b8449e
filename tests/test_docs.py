"""The design documents stay in step with the code (docs/SPEC.md, docs/*.md, README.md).

Three checks, each over what git tracks:

* every requirement id cited in prose (comments, docstrings, Markdown) has its
  heading in ``docs/SPEC.md``; the citation grammar is written at the top of
  that file and implemented by ``cited_ids`` below;
* no tracked file names a path outside the repository (the machine the project
  was written on, a sibling folder of notes);
* every relative link in ``docs/*.md`` and ``README.md`` reaches a file, and
  every ``file.md#anchor`` link reaches a heading of that file.
"""

from __future__ import annotations

import io
import re
import subprocess
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "docs" / "SPEC.md"

#: The families of requirement ids and nothing else: ``E501`` (a ruff code) or
#: ``I64`` (a type alias) never reach the grammar (three digits; code, not prose).
FAMILIES = "WIFTXSMKDCERVL"
_ID = rf"[{FAMILIES}][1-9][0-9]?"
#: An id, or a range of one family written ``R1–R6``, ``F1-F2`` or ``R1–6``.
CITATION = re.compile(
    rf"(?<![A-Za-z0-9_]){_ID}(?:\s?[–-]\s?(?:[{FAMILIES}])?[1-9][0-9]?)?(?![A-Za-z0-9_])"
)
#: ``## M7 — fused mask pipeline``: the id a heading of docs/SPEC.md defines.
HEADING = re.compile(rf"^## ({_ID}) — \S", re.MULTILINE)

#: Where citations are read (the brief of docs/SPEC.md's grammar).
CITING_ROOTS = ("python/", "rust/", "tests/", "benches/", "fuzz/", "scripts/", "docs/")
CITING_FILES = ("README.md",)


def tracked_files() -> list[str]:
    """The repository's files as git lists them (tracked, or new and not ignored)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the file list comes from git")
    return sorted({name for name in out.decode().split("\0") if name and (ROOT / name).is_file()})


def expand(citation: str) -> list[str]:
    """The ids a citation names: ``"R1–R3"`` -> R1, R2, R3.

    >>> expand("F1-F2"), expand("M7"), expand("R1–3")
    (['F1', 'F2'], ['M7'], ['R1', 'R2', 'R3'])
    """
    parts = re.split(r"\s?[–-]\s?", citation)
    family, first = parts[0][0], int(parts[0][1:])
    if len(parts) == 1:
        return [citation]
    end = parts[1]
    if end[0].isalpha() and end[0] != family:
        raise ValueError(f"a range must stay in one family: {citation!r}")
    last = int(end.lstrip(FAMILIES))
    if last < first:
        raise ValueError(f"a range must go up: {citation!r}")
    return [f"{family}{n}" for n in range(first, last + 1)]


def python_prose(text: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every comment and string literal of a Python source."""
    prose_types = {tokenize.COMMENT, tokenize.STRING}
    prose_types |= {getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in prose_types:
            yield token.start[0], token.string


def rust_prose(text: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every comment of a Rust source (``//``, ``///``, ``//!``, ``/* */``).

    String and character literals are stepped over, so ``"http://"`` is no comment.
    """
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            yield line, text[i:end]
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            yield line, text[i:end]
            line += text.count("\n", i, end)
            i = end
        elif c == '"' or (c == "r" and re.match(r'r#*"', text[i:])):
            raw = re.match(r'r(#*)"', text[i:])
            if raw:
                close = '"' + raw.group(1)
                end = text.find(close, i + raw.end())
                end = n if end < 0 else end + len(close)
            else:
                end = i + 1
                while end < n and text[end] != '"':
                    end += 2 if text[end] == "\\" else 1
                end += 1
            line += text.count("\n", i, end)
            i = end
        elif c == "'" and re.match(r"'(\\.[^']*|[^\\'])'", text[i:]):
            match = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            assert match is not None
            i += match.end()
        else:
            line += c == "\n"
            i += 1


def shell_prose(text: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every ``#`` comment of a shell script (``$#`` and ``${#x}`` are code)."""
    for number, row in enumerate(text.splitlines(), 1):
        match = re.search(r"(?:^|\s)(#.*)$", row)
        if match:
            yield number, match.group(1)


def prose(path: str, text: str) -> Iterator[tuple[int, str]]:
    """The prose of a file, by its kind; a kind without comments is all prose."""
    if path.endswith((".py", ".pyi")):
        yield from python_prose(text)
    elif path.endswith(".rs"):
        yield from rust_prose(text)
    elif path.endswith(".sh"):
        yield from shell_prose(text)
    elif path.endswith((".md", ".txt")):
        yield from enumerate(text.splitlines(), 1)


def cited_ids(path: str, text: str) -> Iterator[tuple[int, str, str]]:
    """(line, citation as written, id) for every requirement id cited in the file.

    >>> sorted({i for _, _, i in cited_ids("a.py", "x = 'Retry (W8, R6)'  # SPEC M4-M5")})
    ['M4', 'M5', 'R6', 'W8']
    >>> list(cited_ids("a.rs", 'const K4: u64 = 1; let s = "see K9"; // SPEC K1'))
    [(1, 'K1', 'K1')]
    """
    for line, chunk in prose(path, text):
        for match in CITATION.finditer(chunk):
            for one in expand(match.group(0)):
                yield line, match.group(0), one


def spec_headings() -> dict[str, str]:
    """The requirement ids of docs/SPEC.md and the GitHub anchor of each heading."""
    text = SPEC.read_text(encoding="utf-8")
    return {
        m.group(1): anchor(m.group(0)[3:].split("\n")[0]) for m in HEADING.finditer(text + "\n")
    }


def anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading.

    >>> anchor("M7 — fused mask pipeline (base64 to RLE)")
    'm7--fused-mask-pipeline-base64-to-rle'
    """
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def citing_files() -> list[str]:
    """The files whose prose may cite ids.

    docs/SPEC.md defines the ids (its grammar section shows ids that do not
    exist) and this file holds the grammar's own examples: both are left out.
    """
    skip = {"docs/SPEC.md", "tests/test_docs.py"}
    return [
        f
        for f in tracked_files()
        if (f.startswith(CITING_ROOTS) or f in CITING_FILES) and f not in skip
    ]


def test_spec_has_every_requirement_once() -> None:
    """docs/SPEC.md has one heading per requirement id, in the families' order."""
    text = SPEC.read_text(encoding="utf-8")
    ids = [m.group(1) for m in HEADING.finditer(text)]
    assert len(ids) == len(set(ids)), "an id has two headings"
    assert len(ids) == 69, ids
    assert {i[0] for i in ids} == set(FAMILIES)
    for family in FAMILIES:
        numbers = [int(i[1:]) for i in ids if i[0] == family]
        assert numbers == list(range(1, len(numbers) + 1)), f"{family}: {numbers}"


def test_every_cited_requirement_has_a_heading() -> None:
    """A comment, docstring or Markdown line citing an id names a heading of docs/SPEC.md."""
    headings = spec_headings()
    missing = []
    count = 0
    for path in citing_files():
        text = (ROOT / path).read_text(encoding="utf-8", errors="replace")
        for line, written, one in cited_ids(path, text):
            count += 1
            if one not in headings:
                missing.append(f"{path}:{line}: {written!r} cites {one}")
    assert not missing, "cited ids without a heading in docs/SPEC.md:\n" + "\n".join(missing)
    assert count > 200, f"only {count} citations found: the grammar no longer reads the code"


def test_cited_ids_finds_what_the_code_cites() -> None:
    """The grammar reads the forms the code uses, and skips ids that are code."""
    source = (ROOT / "python/gemini_vision/client_files.py").read_text(encoding="utf-8")
    assert {"X3", "F1", "F2", "T1", "T5"} <= {i for _, _, i in cited_ids("c.py", source)}
    crc = (ROOT / "rust/png/crc.rs").read_text(encoding="utf-8")
    assert "K4" not in {i for _, _, i in cited_ids("crc.rs", crc)}  # a const, not prose
    assert [i for _, _, i in cited_ids("s.sh", 'V12="$ROOT/x"  # SPEC M2')] == ["M2"]


#: Paths outside the repository: the machine's work folder, a sibling notes
#: folder, and the notes of it by name (their content lives in docs/ now).
#: Split so that this file does not match itself.
OUTSIDE = re.compile(
    "|".join(
        [
            "/" + "work/",
            r"\.\./" + "shared",
            r"(?<![\w-])" + "shared/(?:seeds|SPEC|STYLE|pillow|tokens)",
            "pillow-" + r"resample\.md",
            "tokens-" + r"data\.md",
            "STYLE" + r"\.md",
            "/" + "home/[a-z]",
            "/" + "root/",
        ]
    )
)


def test_no_file_names_a_path_outside_the_repository() -> None:
    """Nothing tracked points at a file someone who clones the repository does not have."""
    hits = []
    for path in tracked_files():
        data = (ROOT / path).read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        for number, row in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if OUTSIDE.search(row):
                hits.append(f"{path}:{number}: {row.strip()}")
    assert not hits, "paths outside the repository:\n" + "\n".join(hits)


_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def markdown_anchors(path: Path) -> set[str]:
    """The anchors of every heading of a Markdown file (fenced code skipped)."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {anchor(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.MULTILINE)}


def test_relative_links_reach_their_files() -> None:
    """Every relative link of docs/*.md and the README names a file (and heading) that exists."""
    docs = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))
    assert {"docs/SPEC.md", "docs/overview.md", "docs/resize.md", "docs/tokens.md"} <= set(docs)
    broken = []
    links = 0
    for doc in [*docs, "README.md"]:
        text = (ROOT / doc).read_text(encoding="utf-8")
        # Code is not a link: drop fenced blocks and inline code spans first.
        text = re.sub(r"^```.*?^```|`[^`\n]*`", "", text, flags=re.M | re.S)
        for match in _LINK.finditer(text):
            target = match.group(1)
            if re.match(r"[a-z]+:", target):
                continue
            links += 1
            file, _, fragment = target.partition("#")
            path = (ROOT / doc).parent / file if file else ROOT / doc
            if not path.resolve().is_relative_to(ROOT):
                broken.append(f"{doc}: {target} leaves the repository")
            elif not path.exists():
                broken.append(f"{doc}: {target} does not exist")
            elif fragment and path.suffix == ".md" and fragment not in markdown_anchors(path):
                broken.append(f"{doc}: {target} names no heading of {file}")
    assert not broken, "\n".join(broken)
    assert links > 20


def test_the_examples_in_this_file_hold() -> None:
    """The doctest examples of the grammar above (``expand``, ``cited_ids``, ``anchor``)."""
    import doctest
    import sys

    result = doctest.testmod(sys.modules[__name__])
    assert result.attempted >= 4
    assert result.failed == 0


#: Where a path written in code font in docs/ may start: the repository's own
#: folders, or a subpackage of ``python/gemini_vision`` (``wire/http.py``).
_PACKAGE = ROOT / "python" / "gemini_vision"
_ROOT_DIRS = ("python", "rust", "tests", "benches", "fuzz", "scripts", "docs")
_CODE_PATH = re.compile(r"`([A-Za-z_][\w.-]*/[\w./-]*?)(?:::(\w+))?`")


def test_paths_named_in_docs_exist() -> None:
    """A file or test named in code font in docs/*.md exists, so moved code does not
    leave the design pointing at nothing (``wire/http.py``, ``tests/x.py::test_y``)."""
    packages = {p.name for p in _PACKAGE.iterdir() if p.is_dir()}
    missing = []
    named = 0
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for match in _CODE_PATH.finditer(doc.read_text(encoding="utf-8")):
            path, test = match.group(1), match.group(2)
            first = path.split("/")[0]
            if first in _ROOT_DIRS:
                target = ROOT / path
            elif first in packages:
                target = _PACKAGE / path
            else:
                continue  # not this repository's (a Pillow source file, a URL path)
            named += 1
            if not target.exists():
                missing.append(f"{doc.name}: {path} does not exist")
            elif test and not re.search(rf"^def {test}\(", target.read_text(), re.MULTILINE):
                missing.append(f"{doc.name}: {path} has no {test}")
    assert not missing, "\n".join(missing)
    assert named > 100
