"""Build the documentation site (``make docs``): assemble the sources, then a strict Sphinx build.

Nothing is executed: the pages show the notebooks' committed outputs. The Sphinx source folder is
assembled under ``build/docs-src`` from files that live elsewhere in the repository, so none of
them is edited and none can drift:

* ``index.md``     the landing page, generated from README.md (intro, the two commands, the
                   notebook map table) plus each notebook's recorded full-run time
                   (``results/<notebook>.json``, field ``seconds``);
* ``notebooks/``   copies of ``notebooks/NN_*.ipynb``; a stored ipywidgets output becomes a static
                   snapshot of its saved widget state (sliders and picture), and relative links are
                   rewritten to the site's pages (see :func:`rewrite_links`);
* ``results.md``   ``results/RESULTS.md``; ``bench.md``: ``bench/RESULTS.md``;
* ``api.md``       an autosummary page over every public module found under ``aeutils/``;
* ``glossary.md``, ``conf.py``, ``_static/``, ``_templates/`` from ``docs/``.

Then ``sphinx-build -W --keep-going -b html build/docs-src build/docs/html``: any warning (a
broken cross-reference, a missing image, a link to a file that does not exist) fails the build.

Usage: ``python docs/build_site.py [--out build/docs]``.
"""
from __future__ import annotations

import argparse
import ast
import base64
import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PACKAGE = "aeutils"
NOTEBOOK_GLOB = "[0-9][0-9]*_*.ipynb"

# Repository files that are pages of the site, and the page each one becomes.
PAGES = {
    "README.md": "index.md",
    "results/RESULTS.md": "results.md",
    "bench/RESULTS.md": "bench.md",
}

# README sections that are pages of their own on the site; the landing page carries only the
# intro, the two commands and the notebook map (LANDING_ANCHORS).
README_ANCHOR_PAGES = {"results": "results.md", "quick-start": "index.md#the-two-commands",
                       "notebook-map": "index.md#notebook-map"}
LANDING_ANCHORS = {"the-two-commands", "notebook-map"}

# Units and metrics of the glossary, linked from the landing page's notebook map (first use per
# row). Longest first so that "PR-AUC" wins over "AUC"-like prefixes.
GLOSSARY_TERMS = ["ROC-AUC", "PR-AUC", "PSNR", "SSIM", "NDCG", "RMSE", "FVU", "mAP", "nats", "ELBO"]

LINK = re.compile(r"(?P<bang>!?)\[(?P<text>(?:[^\[\]]|\[[^\]]*\])*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class SiteError(RuntimeError):
    """The sources cannot be assembled (missing README section, widget without state, ...)."""


# ---------------------------------------------------------------- links


def rewrite_links(text: str, src: str, dest: str, handled: list[str], copy_files: set[str]) -> str:
    """Rewrite the relative Markdown links of ``text`` (from repository file ``src``) for page ``dest``.

    * external links (``https:``, ``mailto:`` ...) and in-page anchors are kept;
    * a link to a repository file that is a page of the site (README, the two RESULTS files, a
      notebook) points to that page (a ``#fragment`` is kept and checked by the strict build);
    * an image that exists in the repository is copied into the site at the same relative path;
    * a link to a repository file that exists but is not a page keeps its text, shown as the
      repository path, and is reported in ``handled``;
    * a link to a file that does not exist is left as it is, so the strict build fails on it.
    """
    src_dir = posixpath.dirname(src)
    dest_dir = posixpath.dirname(dest)

    def page_of(repo_path: str) -> str | None:
        if repo_path in PAGES:
            return PAGES[repo_path]
        if re.fullmatch(r"notebooks/[0-9][0-9][a-z]?_[^/]+\.ipynb", repo_path):
            return repo_path
        return None

    def sub(m: re.Match) -> str:
        target = m.group("target")
        if SCHEME.match(target) or target.startswith("#") or target.startswith("/"):
            return m.group(0)
        path, _, fragment = target.partition("#")
        repo_path = posixpath.normpath(posixpath.join(src_dir, path))
        if repo_path.startswith("../") or not (ROOT / repo_path).exists():
            return m.group(0)  # broken: the strict build reports it
        if m.group("bang"):
            copy_files.add(repo_path)
            new = posixpath.relpath(repo_path, dest_dir or ".")
            return f"{m.group('bang')}[{m.group('text')}]({new}{m.group('title') or ''})"
        page = page_of(repo_path)
        if page == "index.md" and fragment and fragment not in LANDING_ANCHORS:
            moved = README_ANCHOR_PAGES.get(fragment)
            handled.append(f"{src}: link to {target} (a README section not on the landing page) "
                           f"points to {moved or 'the landing page'}")
            page, _, fragment = (moved or "index.md").partition("#")
        if page is not None:
            new = posixpath.relpath(page, dest_dir or ".")
            return f"[{m.group('text')}]({new}{'#' + fragment if fragment else ''})"
        handled.append(f"{src}: link to {target} (a repository file, not a page) shown as text")
        text = m.group("text")
        return text if repo_path in text else f"{text} (`{repo_path}` in the repository)"

    return LINK.sub(sub, text)


def strip_anchor_links(text: str) -> str:
    """Replace in-page anchor links (``[x](#y)``) by their text: README anchors are not on the site."""
    return re.sub(r"\[([^\]]+)\]\(#[^)]*\)", r"\1", text)


# ---------------------------------------------------------------- README sections


def readme_section(readme: str, heading: str, end_marker: str | None = None) -> str:
    """The body of ``## heading`` up to ``end_marker`` (or the next ``## `` heading)."""
    m = re.search(rf"^## {re.escape(heading)}\s*$", readme, flags=re.M)
    if not m:
        raise SiteError(f"README.md has no '## {heading}' section")
    body = readme[m.end():]
    if end_marker is not None:
        if end_marker not in body:
            raise SiteError(f"README.md section '{heading}' has no end marker {end_marker}")
        return body[: body.index(end_marker)].strip()
    nxt = re.search(r"^## ", body, flags=re.M)
    return (body[: nxt.start()] if nxt else body).strip()


def readme_intro(readme: str) -> tuple[str, str]:
    """The title and the paragraphs between the title and the first ``## `` heading."""
    m = re.match(r"\s*# (.+?)\n(.*?)^## ", readme, flags=re.S | re.M)
    if not m:
        raise SiteError("README.md must start with '# title', an introduction, then a '## ' heading")
    return m.group(1).strip(), m.group(2).strip()


def notebook_seconds(stem: str) -> float | None:
    """The recorded wall time of the notebook's last full run (``results/<stem>.json``)."""
    path = ROOT / "results" / f"{stem}.json"
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    seconds = record.get("seconds")
    return float(seconds) if isinstance(seconds, (int, float)) and record.get("mode", "full") == "full" else None


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "not recorded"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds:.0f} s ({seconds / 60:.1f} min)"


def link_glossary_terms(cell: str) -> str:
    """Link the first use of each glossary term in a table cell (outside code spans and links)."""
    parts = re.split(r"(`[^`]*`|\[[^\]]*\]\([^)]*\))", cell)
    done = set()
    for i in range(0, len(parts), 2):
        for term in GLOSSARY_TERMS:
            if term in done:
                continue
            pattern = re.compile(rf"(?<![\w-]){re.escape(term)}(?![\w-])")
            if pattern.search(parts[i]):
                parts[i] = pattern.sub(lambda _m, t=term: f"{{term}}`{t}`", parts[i], count=1)
                done.add(term)
    return "".join(parts)


def notebook_map(readme: str, notebooks: list[str], handled: list[str]) -> str:
    """The README's notebook map table, its links pointing to the pages, plus a run-time column."""
    table = readme_section(readme, "Notebook map", "<!-- notebook-map-end -->")
    rows = [line for line in table.splitlines() if line.startswith("|")]
    if len(rows) < 3:
        raise SiteError("README.md's notebook map has no table rows")
    out = [rows[0].rstrip().rstrip("|").rstrip() + " | full run |", "| --- " * (rows[0].count("|") - 1) + "| ---: |"]
    seen = []
    for row in rows[2:]:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        m = re.search(r"\(notebooks/([0-9][0-9][a-z]?_[^)]+)\.ipynb\)", row)
        if not m:
            raise SiteError(f"README.md notebook map row without a notebook link: {row}")
        stem = m.group(1)
        seen.append(stem)
        cells = [rewrite_links(c, "README.md", "index.md", handled, set()) for c in cells]
        cells[-1] = link_glossary_terms(cells[-1])
        out.append("| " + " | ".join(cells) + f" | {format_seconds(notebook_seconds(stem))} |")
    missing = sorted(set(notebooks) - set(seen))
    if missing:
        raise SiteError(f"README.md's notebook map lacks {missing}: add them so the landing page lists every notebook")
    return "\n".join(out)


def quick_start(readme: str) -> str:
    body = readme_section(readme, "Quick start")
    m = re.search(r"```bash\n.*?```", body, flags=re.S)
    if not m:
        raise SiteError("README.md's Quick start has no ```bash block")
    return m.group(0)


def landing_page(readme: str, notebooks: list[str], handled: list[str]) -> str:
    title, intro = readme_intro(readme)
    intro = strip_anchor_links(rewrite_links(intro, "README.md", "index.md", handled, set()))
    toctree_notebooks = "\n".join(f"notebooks/{stem}" for stem in notebooks)
    return f"""# {title}

{intro}

## The two commands

{quick_start(readme)}

`make test` is the CI command: unit tests, then every notebook in fast mode. `make run` reproduces
every number on these pages: it executes the notebooks in full mode and rewrites their outputs, the
[results](results.md) and the records the run times below come from. This site shows the committed
outputs as they are; building it (`make docs`) executes nothing.

## Notebook map

In order; each builds on the ones before it. *Full run* is the wall time recorded by the last full
run of the notebook (`results/<notebook>.json`, from its first cell on) on the project's 2-core
machine. Units and metrics are defined in the [glossary](glossary.md).

{notebook_map(readme, notebooks, handled)}

Also here: the [results table](results.md) of every recorded metric, the
[benchmarks](bench.md), the [API reference](api.md) of the `{PACKAGE}` helper package and the
[glossary](glossary.md).

```{{toctree}}
:hidden:
:caption: Notebooks
:maxdepth: 1

{toctree_notebooks}
```

```{{toctree}}
:hidden:
:caption: Reference
:maxdepth: 1

results
bench
api
glossary
```
"""


# ---------------------------------------------------------------- API reference


def public_modules(package_dir: Path, package: str) -> list[str]:
    """Every importable public module under ``package_dir``, found on disk (so folders without an
    ``__init__.py`` and later reorganisations are covered); any path part with a leading
    underscore is private and skipped."""
    found = [package]
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
            if not parts:
                continue
        if any(p.startswith("_") for p in parts) or any(not p.isidentifier() for p in parts):
            continue
        found.append(".".join([package, *parts]))
    return sorted(set(found), key=lambda name: (name != package, name))


def top_level_names(init: Path, package: str) -> list[tuple[str, str]]:
    """``(name, defining module)`` for each name in the package's ``__all__`` that its
    ``__init__.py`` imports from a submodule (read with ``ast``: nothing is imported)."""
    tree = ast.parse(init.read_text())
    exported, origin = [], {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            exported = [elt.value for elt in node.value.elts if isinstance(elt, ast.Constant)]
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:
                origin[alias.asname or alias.name] = f"{package}.{node.module}"
    return [(name, origin[name]) for name in exported if name in origin]


def module_defs(module: str) -> set[str] | None:
    """Names a module of the package defines with ``def`` or ``class`` (read with ``ast``); None when
    its file is not found. Autodoc documents those; a constant without a doc comment it does not."""
    base = ROOT.joinpath(*module.split("."))
    path = base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"
    if not path.exists():
        return None
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {node.name for node in ast.parse(path.read_text()).body if isinstance(node, kinds)}


def api_page(modules: list[str], names: list[tuple[str, str]]) -> str:
    listing = "\n".join(f"   {name}" for name in modules)
    def cell(name, module):  # a link where autodoc documents the name, else the name as text
        defs = module_defs(module)
        return f"{{py:obj}}`{module}.{name}`" if defs is None or name in defs else f"`{module}.{name}`"

    rows = "\n".join(f"| `{PACKAGE}.{name}` | {cell(name, module)} |" for name, module in names)
    table = f"""## Top-level names

`import {PACKAGE}` gives these names directly; each is documented in the module that defines it.

| name | documented as |
| --- | --- |
{rows}
""" if names else ""
    return f"""# API reference

The public modules of `{PACKAGE}`, generated from their docstrings. Every module under `{PACKAGE}/`
whose name has no leading underscore is listed and imported by the build, so a module that fails to
import fails the build. Modules that belong to one notebook say so in their first line.

{table}
## Modules

```{{eval-rst}}
.. autosummary::
   :toctree: api

{listing}
```
"""


# ---------------------------------------------------------------- notebooks and widgets


def _widget_state(nb: dict) -> dict:
    widgets = nb.get("metadata", {}).get("widgets", {})
    return widgets.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})


def _model_ref(value) -> str | None:
    return value[len("IPY_MODEL_"):] if isinstance(value, str) and value.startswith("IPY_MODEL_") else None


def render_widget(model_id: str, state: dict) -> str:
    """Static HTML for one saved widget model and its children (boxes, sliders, images, labels)."""
    if model_id not in state:
        raise SiteError(f"widget model {model_id} has no saved state")
    model = state[model_id]
    name, s = model["model_name"], model["state"]
    esc = html.escape
    if name in {"HBoxModel", "VBoxModel", "BoxModel", "GridBoxModel"}:
        kind = "hbox" if name == "HBoxModel" else "vbox"
        children = "".join(render_widget(_model_ref(c), state) for c in s.get("children", []) if _model_ref(c))
        return f'<div class="ae-widget-{kind}">{children}</div>'
    if name in {"FloatSliderModel", "IntSliderModel"}:
        fmt = s.get("readout_format", ".2f" if name == "FloatSliderModel" else "d")
        readout = format(s["value"], fmt) if s.get("readout", True) else ""
        return (
            f'<div class="ae-widget-slider"><label>{esc(str(s.get("description", "")))}</label>'
            f'<input type="range" disabled min="{s["min"]}" max="{s["max"]}" step="{s["step"]}" '
            f'value="{s["value"]}" aria-label="{esc(str(s.get("description", "")))}">'
            f"<span>{esc(readout)}</span></div>"
        )
    if name == "ImageModel":
        buffers = {tuple(b["path"]): b for b in model.get("buffers", [])}
        buf = buffers.get(("value",))
        if not buf or buf.get("encoding") != "base64":
            raise SiteError(f"image widget {model_id} has no saved picture")
        data = base64.b64decode(buf["data"])  # checked to decode; embedded as it was saved
        fmt = s.get("format", "png")
        size = "".join(f' {k}="{esc(str(s[k]))}"' for k in ("width", "height") if s.get(k))
        return f'<img class="ae-widget-image" alt="widget picture ({len(data)} bytes)"{size} src="data:image/{fmt};base64,{buf["data"]}">'
    if name in {"LabelModel", "HTMLModel", "TextModel"}:
        return f'<div class="ae-widget-label">{esc(str(s.get("value", "")))}</div>'
    raise SiteError(f"widget model {name} ({model_id}) has no static rendering: add one in docs/build_site.py")


def snapshot_widgets(nb: dict) -> int:
    """Replace every stored widget view by a static snapshot of its saved state; return how many."""
    state = _widget_state(nb)
    count = 0
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            view = data.get("application/vnd.jupyter.widget-view+json")
            if view is None:
                continue
            body = render_widget(view["model_id"], state)
            data.pop("application/vnd.jupyter.widget-view+json")
            data["text/html"] = (
                '<div class="ae-widget-snapshot">'
                f"{body}"
                '<p class="ae-widget-caption">Static snapshot of the explorer as the notebook run left it '
                "(saved widget state). Open the notebook in JupyterLab (<code>make lab</code>) to move "
                "the sliders.</p></div>"
            )
            count += 1
    nb.get("metadata", {}).pop("widgets", None)  # nothing left for a widget manager to load
    return count


def copy_notebook(src: Path, dest: Path, handled: list[str], copy_files: set[str]) -> int:
    nb = json.loads(src.read_text())
    rel_src = src.relative_to(ROOT).as_posix()
    rel_dest = f"notebooks/{src.name}"
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = rewrite_links(text, rel_src, rel_dest, handled, copy_files)
    widgets = snapshot_widgets(nb)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False))
    return widgets


# ---------------------------------------------------------------- assembly and build


def assemble(src_dir: Path) -> dict:
    if src_dir.exists():
        shutil.rmtree(src_dir)
    src_dir.mkdir(parents=True)
    for item in ("conf.py", "glossary.md", "_static", "_templates"):
        path = DOCS / item
        (shutil.copytree if path.is_dir() else shutil.copy2)(path, src_dir / item)
    handled: list[str] = []
    copy_files: set[str] = set()
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob(NOTEBOOK_GLOB))
    if not notebooks:
        raise SiteError("no notebooks/NN_*.ipynb found")
    widgets = 0
    for stem in notebooks:
        widgets += copy_notebook(ROOT / "notebooks" / f"{stem}.ipynb", src_dir / "notebooks" / f"{stem}.ipynb", handled, copy_files)
    readme = (ROOT / "README.md").read_text()
    (src_dir / "index.md").write_text(landing_page(readme, notebooks, handled))
    for repo_path, page in PAGES.items():
        if page == "index.md":
            continue
        text = (ROOT / repo_path).read_text()
        (src_dir / page).write_text(rewrite_links(text, repo_path, page, handled, copy_files))
    for repo_path in sorted(copy_files):
        (src_dir / repo_path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / repo_path, src_dir / repo_path)
    modules = public_modules(ROOT / PACKAGE, PACKAGE)
    (src_dir / "api.md").write_text(api_page(modules, top_level_names(ROOT / PACKAGE / "__init__.py", PACKAGE)))
    return {"notebooks": notebooks, "widgets": widgets, "modules": modules, "handled": handled}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build/docs", help="output folder (html/ and the assembled src/ go here)")
    args = parser.parse_args(argv)
    out = (ROOT / args.out).resolve()
    src_dir, html_dir = out / "src", out / "html"
    start = time.perf_counter()
    try:
        info = assemble(src_dir)
    except SiteError as exc:
        print(f"docs: {exc}", file=sys.stderr)
        return 2
    print(
        f"docs: assembled {len(info['notebooks'])} notebooks ({info['widgets']} widget snapshot(s)), "
        f"{len(info['modules'])} API modules into {src_dir.relative_to(ROOT)}"
    )
    for line in info["handled"]:
        print(f"docs: handled {line}")
    if html_dir.exists():
        shutil.rmtree(html_dir)  # a fresh build every time, so -W sees every page's warnings
    env = dict(os.environ, AEUTILS_DOCS_ROOT=str(ROOT), PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(out / "doctrees"), str(src_dir), str(html_dir)]
    rc = subprocess.call(cmd, cwd=ROOT, env=env)
    elapsed = time.perf_counter() - start
    if rc != 0:
        print(f"docs: strict build FAILED (sphinx exit {rc}, warnings above) after {elapsed:.0f} s", file=sys.stderr)
        return rc
    print(f"docs: built {html_dir.relative_to(ROOT)}/index.html in {elapsed:.0f} s "
          f"(open it, or: cd {html_dir.relative_to(ROOT)} && python -m http.server)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
