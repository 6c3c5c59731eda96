"""Export every course notebook as a reveal.js deck that works offline: `make slides`.

    python tools/export_slides.py [--out _build/slides] [NOTEBOOK ...]

The scripts a deck needs (reveal.js, require.js, jQuery, the widget renderer, MathJax and
the icon font of widget buttons)
come from the npm registry: `npm ci` in tools/slides installs the versions pinned in its
package-lock.json, and this script copies the files a deck uses into OUT/assets, beside
the decks, and points every deck at them. Nothing is loaded from a CDN, so a deck opens
from a USB stick in a lecture hall with no network. Decks number their slides, open
speaker notes on S, typeset the course's LaTeX and draw the stored widget states.
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from nbgrader.preprocessors import ClearHiddenTests
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
NPM_DIR = ROOT / "tools" / "slides"
MODULES = NPM_DIR / "node_modules"
TEMPLATES = NPM_DIR / "templates"

# (source under node_modules, destination under assets): only what a deck loads
ASSETS = [
    ("reveal.js/dist", "reveal.js/dist"),
    ("reveal.js/plugin/notes", "reveal.js/plugin/notes"),
    ("requirejs/require.js", "require.js"),
    ("jquery/dist/jquery.min.js", "jquery.min.js"),
    ("@jupyter-widgets/html-manager/dist", "html-manager"),
    ("mathjax/MathJax.js", "mathjax/MathJax.js"),
    ("mathjax/config", "mathjax/config"),
    ("mathjax/extensions", "mathjax/extensions"),
    ("mathjax/jax/input/TeX", "mathjax/jax/input/TeX"),
    ("mathjax/jax/output/CommonHTML", "mathjax/jax/output/CommonHTML"),
    ("mathjax/jax/element", "mathjax/jax/element"),
    ("mathjax/fonts/HTML-CSS/TeX/woff", "mathjax/fonts/HTML-CSS/TeX/woff"),
    ("@fortawesome/fontawesome-free/css", "fontawesome/css"),  # the icons on widget buttons
    ("@fortawesome/fontawesome-free/webfonts", "fontawesome/webfonts"),
]
SKIP = shutil.ignore_patterns("*.map", "*.esm.js", "embed.js", "*.LICENSE.txt")


def install_assets():
    """`npm ci` (exact versions from the lock file) unless node_modules is already current."""
    stamp = MODULES / ".package-lock.json"
    lock = NPM_DIR / "package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("export_slides: npm is needed to install the slide assets (reveal.js, MathJax, ...); "
                 "install Node.js and npm (Debian: apt-get install nodejs npm) and run make slides again")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=NPM_DIR, check=True)


def copy_assets(out):
    assets = out / "assets"
    for src, dst in ASSETS:
        s, d = MODULES / src, assets / dst
        if not s.exists():
            sys.exit(f"export_slides: expected {s.relative_to(ROOT)} from npm; run `npm ci` in tools/slides")
        d.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir():
            shutil.copytree(s, d, ignore=SKIP, dirs_exist_ok=True)
        else:
            shutil.copy2(s, d)
    return assets


def exporter():
    c = Config()
    c.SlidesExporter.template_name = "course_reveal"
    c.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    c.SlidesExporter.reveal_url_prefix = "assets/reveal.js"
    c.SlidesExporter.reveal_theme = "white"
    c.SlidesExporter.reveal_number = "c/t"
    c.SlidesExporter.reveal_scroll = True
    c.SlidesExporter.require_js_url = "assets/require.js"
    c.SlidesExporter.jquery_url = "assets/jquery.min.js"
    c.SlidesExporter.widget_renderer_url = "assets/html-manager/embed-amd.js"
    c.SlidesExporter.mathjax_url = "assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    return SlidesExporter(config=c)


def without_hidden_tests(nb):
    """The notebook with the graders' hidden tests taken out of its check cells (nbgrader's own
    ClearHiddenTests, as its release does): a deck shows the check a learner sees."""
    return ClearHiddenTests().preprocess(nb, {})[0]


def export(paths, out):
    out.mkdir(parents=True, exist_ok=True)
    exp = exporter()
    decks = []
    for path in paths:
        nb = without_hidden_tests(nbformat.read(path, as_version=4))
        body, _ = exp.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        deck = out / f"{path.stem}.slides.html"
        deck.write_text(body, encoding="utf-8")
        decks.append(deck)
        slides = sum(c.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide") for c in nb.cells)
        print(f"{os.path.relpath(deck)}: {slides} slides, {deck.stat().st_size / 1e6:.2f} MB")
    return decks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    ap.add_argument("--out", type=Path, default=ROOT / "_build" / "slides", help="default: _build/slides")
    args = ap.parse_args(argv)
    install_assets()
    copy_assets(args.out)
    export(args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), args.out)
    print(f"open {os.path.relpath(args.out)}/00_welcome.slides.html in a browser; S opens the speaker notes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
