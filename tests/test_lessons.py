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
