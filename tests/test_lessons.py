"""The generated lesson modules match their notebooks (``make lessons``), and say they are generated."""
import subprocess
import sys
from pathlib import Path

from tools.lessons import HEADER, generated_files, stale

ROOT = Path(__file__).resolve().parents[1]


def test_generated_lessons_are_fresh():
    assert stale() == [], "a notebook and its generated module disagree: run `make lessons` and commit"


def test_every_lesson_module_is_generated_with_header():
    lessons = sorted(p for p in (ROOT / "aeutils" / "lessons").glob("*.py") if p.name != "__init__.py")
    assert lessons, "no generated lesson modules"
    generated = generated_files()
    for path in lessons:
        rel = str(path.relative_to(ROOT / "aeutils"))
        assert rel in generated, f"{rel} lacks the header {HEADER!r}: edit its notebook, not the file"
        source = generated[rel].splitlines()[0].split("File to edit: ")[1].rstrip(".")
        assert (path.parent / source).resolve().is_file(), f"{rel} names a notebook that does not exist: {source}"


def test_make_lessons_twice_changes_nothing(tmp_path):
    before = generated_files()
    for _ in range(2):
        out = subprocess.run([sys.executable, "-m", "tools.lessons"], cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
    assert generated_files() == before
    check = subprocess.run([sys.executable, "-m", "tools.lessons", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout == ""


def _code_cells():
    import json

    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                yield nb.name, "".join(cell["source"])


def test_lesson_cells_are_short():
    import statistics

    lengths = [(name, len(src.splitlines())) for name, src in _code_cells()]
    too_long = [(name, n) for name, n in lengths if n > 45]
    assert not too_long, f"code cells over 45 lines: {too_long}"
    assert statistics.median(n for _, n in lengths) <= 12


def test_lesson_cells_do_not_record_or_branch_on_fast_mode():
    """Records and fast-mode thresholds live in cells marked `# Check` (or exercise solutions)."""
    for name, src in _code_cells():
        first = src.lstrip().splitlines()[0] if src.strip() else ""
        if "rec.record(" in src:
            assert first.startswith(("# Check", "# Solution")), f"{name}: rec.record outside a check cell: {first!r}"
        assert "is_fast()" not in src and "if B.fast" not in src, f"{name}: lesson code branches on fast mode"


def test_hand_written_package_stays_small():
    generated = set(generated_files())
    lines = sum(len(p.read_text().splitlines()) for p in (ROOT / "aeutils").rglob("*.py")
                if str(p.relative_to(ROOT / "aeutils")) not in generated)
    assert lines <= 3000, f"hand-written aeutils has {lines} lines (at most 3,000): lesson code belongs in notebooks"
