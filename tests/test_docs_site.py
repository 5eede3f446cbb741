"""Unit tests of the documentation site's assembler (docs/build_site.py): pure functions only.

The strict Sphinx build and the browser test are `make docs` and `make docs-test`; they are not
run here, so `make test` stays fast and needs neither Sphinx nor Chromium.
"""
import base64
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_site", ROOT / "docs" / "build_site.py")
site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(site)


def rewrite(text, src="notebooks/07_anomaly_detection.ipynb", dest="notebooks/07_anomaly_detection.ipynb"):
    handled, files = [], set()
    return site.rewrite_links(text, src, dest, handled, files), handled, files


def test_links_to_site_pages_point_to_the_pages():
    out, handled, _ = rewrite("[r](../results/RESULTS.md) [b](../bench/RESULTS.md) [n](01_basic_autoencoder.ipynb#setup)")
    assert out == "[r](../results.md) [b](../bench.md) [n](01_basic_autoencoder.ipynb#setup)"
    assert handled == []


def test_external_and_anchor_links_are_kept():
    text = "[t](https://www.tensorflow.org/tutorials) [a](#setup) [m](mailto:x@example.com)"
    assert rewrite(text)[0] == text


def test_repository_file_that_is_not_a_page_becomes_text_and_is_reported():
    out, handled, _ = rewrite("the [registry](../data/README.md).")
    assert out == "the registry (`data/README.md` in the repository)."
    assert len(handled) == 1 and "data/README.md" in handled[0]


def test_missing_file_is_left_for_the_strict_build_to_fail_on():
    text = "[gone](../no_such_file.md) ![pic](no_such_picture.png)"
    out, handled, files = rewrite(text)
    assert out == text and handled == [] and files == set()


def test_readme_section_not_on_the_landing_page_points_to_its_page():
    out, handled, _ = rewrite("[results](../README.md#results) [offline](../README.md#data-and-working-offline)")
    assert out == "[results](../results.md) [offline](../index.md)"
    assert len(handled) == 2


def test_existing_image_is_copied():
    out, _, files = rewrite("![map](../README.md)")  # any existing repository file stands in for an image
    assert files == {"README.md"} and out == "![map](../README.md)"


def test_public_modules_skip_private_ones(tmp_path):
    pkg = tmp_path / "pkg"
    for rel in ["__init__.py", "a.py", "_private.py", "core/__init__.py", "core/b.py", "_hidden/c.py", "ns/d.py"]:
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text("")
    assert site.public_modules(pkg, "pkg") == ["pkg", "pkg.a", "pkg.core", "pkg.core.b", "pkg.ns.d"]


def test_every_repository_notebook_is_in_the_readme_map():
    readme = (ROOT / "README.md").read_text()
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
    table = site.notebook_map(readme, notebooks, [])
    for stem in notebooks:
        assert f"(notebooks/{stem}.ipynb)" in table
    with pytest.raises(site.SiteError, match="lacks"):
        site.notebook_map(readme, [*notebooks, "99_not_in_the_map"], [])


def _widget_notebook(with_picture=True):
    png = base64.b64encode(b"\x89PNG fake").decode()
    state = {
        "box": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_s", "IPY_MODEL_img"]}},
        "s": {"model_name": "FloatSliderModel",
              "state": {"description": "z0", "min": -3.0, "max": 3.0, "step": 0.1, "value": 2.0, "readout_format": ".2f"}},
        "img": {"model_name": "ImageModel", "state": {"format": "png", "width": "168"},
                "buffers": [{"path": ["value"], "encoding": "base64", "data": png}] if with_picture else []},
    }
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": "box"}, "text/plain": ["HBox(...)"]}
    return {
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": state}}},
        "cells": [{"cell_type": "code", "outputs": [{"output_type": "display_data", "data": view}]}],
    }


def test_widget_view_becomes_a_static_snapshot_of_its_saved_state():
    nb = _widget_notebook()
    assert site.snapshot_widgets(nb) == 1
    data = nb["cells"][0]["outputs"][0]["data"]
    assert "application/vnd.jupyter.widget-view+json" not in data and "widgets" not in nb["metadata"]
    html = data["text/html"]
    assert 'value="2.0"' in html and "2.00" in html and 'src="data:image/png;base64,' in html


def test_widget_without_saved_picture_fails_instead_of_showing_a_broken_box():
    with pytest.raises(site.SiteError, match="no saved picture"):
        site.snapshot_widgets(_widget_notebook(with_picture=False))
