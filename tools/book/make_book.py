#!/usr/bin/python3
"""make_book.py: the offline HTML book of the curriculum (what `./learn book` runs).

usage: make_book.py ROOT OUT [--runs DIR]

Reads the lesson catalog (ROOT/catalog.txt), the level READMEs, every written lesson's
NOTES.md (a lesson is written when its folder has a CMakeLists.txt) and, when they exist,
the reader's runs in DIR (default ROOT/out): DIR/<level folder>/<id>/report.md and
DIR/index.md (`./learn run --all`). Writes OUT (the folder is replaced as a whole):

  index.html                        front page: the prerequisite graph and the level map
  <level folder>/index.html         the level's README.md
  <level folder>/<NN_id>/index.html the lesson's NOTES.md, its figures beside it
  runs/index.html                   DIR/index.md, when there is one
  runs/<level folder>/<id>/report.html   the reader's latest report of the lesson
  assets/                           book.css, book.js, KaTeX (Debian's libjs-katex), lunr
                                    (libjs-lunr) and search-index.js, the search documents

Everything is relative, so the book reads from file:// with no network and no server.
Markdown goes through pandoc (GitHub's dialect with $...$ and $$...$$ math); the math is
typeset in the browser by KaTeX; the graph is drawn by Graphviz's dot. A relative link or
image of a page is kept: a Markdown page it names becomes that page's HTML, any other file
is copied into the book at the same relative place (figures, logs).
"""
import argparse
import concurrent.futures
import datetime
import html
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
KATEX_DIR = Path("/usr/share/javascript/katex")   # Debian's libjs-katex (fonts: fonts-katex)
LUNR_JS = Path("/usr/share/javascript/lunr/lunr.min.js")   # Debian's libjs-lunr
PANDOC = ["pandoc", "--from=gfm+tex_math_dollars", "--to=html5", "--katex", "--wrap=none",
          f"--lua-filter={HERE / 'figures.lua'}"]
BOOK_TITLE = "Machine learning from first principles"
MARKER = ".mlc-book"   # marks a folder this script wrote, so that it may replace it


def fail(message, hint=""):
    print(f"learn: book: {message}", file=sys.stderr)
    if hint:
        print(hint, file=sys.stderr)
    sys.exit(2)


# ---- the catalog --------------------------------------------------------------------------

class Lesson:
    def __init__(self, number, lesson_id, builds_on, title, level_dir):
        self.number, self.id, self.title = number, lesson_id, title
        self.builds_on = [] if builds_on == "-" else builds_on.split(",")
        self.level = int(number.split(".")[0])
        self.level_dir = level_dir                                     # level1_math
        self.folder = f"{level_dir}/{int(number.split('.')[1]):02d}_{lesson_id}"
        self.written = False      # the folder has a CMakeLists.txt
        self.draft = False        # NOTES.md still carries ./learn new's draft comment
        self.report = None        # Path of the reader's latest report.md, if any


def read_catalog(root):
    lessons, level_dirs = [], {}
    for lineno, line in enumerate((root / "catalog.txt").read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(None, 3)
        if len(fields) != 4 or not re.fullmatch(r"[1-6]\.[1-9][0-9]?", fields[0]):
            fail(f"catalog.txt:{lineno} is not 'N.M id builds_on Title'",
                 "tools/check_lessons says what is wrong with it.")
        level = int(fields[0].split(".")[0])
        if level not in level_dirs:
            found = sorted(root.glob(f"level{level}_*"))
            if not found:
                fail(f"catalog.txt:{lineno}: no folder level{level}_* for lesson {fields[0]}")
            level_dirs[level] = found[0].name
        lessons.append(Lesson(*fields, level_dirs[level]))
    for lesson in lessons:
        lesson.written = (root / lesson.folder / "CMakeLists.txt").is_file()
        notes = root / lesson.folder / "NOTES.md"
        lesson.draft = lesson.written and notes.is_file() and "<!-- draft" in notes.read_text()
    return lessons, level_dirs


def level_title(root, level, level_dir):
    readme = root / level_dir / "README.md"
    if readme.is_file():
        first = readme.read_text().splitlines()[:1]
        if first and first[0].startswith("# "):
            return first[0][2:].strip()
    return f"Level {level}"


# ---- pages --------------------------------------------------------------------------------

class Page:
    """One HTML page of the book: from a Markdown source (or generated) to OUT/out."""

    def __init__(self, kind, out, title, source=None, lesson=None, level=None):
        self.kind, self.out, self.title = kind, Path(out), title
        self.source, self.lesson, self.level = source, lesson, level
        self.body = ""             # the HTML fragment of the page's main column
        self.headings = []         # (level, id, text) of h1-h3, for contents and search

    @property
    def root(self):  # the relative path from the page to the book's root
        return "../" * (len(self.out.parts) - 1)


def pandoc(source):
    result = subprocess.run(PANDOC + [str(source)], capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"pandoc failed on {source}:\n{result.stderr}")
    return result.stdout


TAG = re.compile(r"<[^>]+>")
HEADING = re.compile(r'<h([1-3]) id="([^"]*)"[^>]*>(.*?)</h\1>', re.S)


def text_of(fragment):
    return html.unescape(TAG.sub("", fragment))


def lesson_link(lesson, page):
    """The number and title of a lesson, linked when it is written."""
    label = f"{lesson.number} {html.escape(lesson.title)}"
    if lesson.written:
        return f'<a href="{page.root}{lesson.folder}/index.html">{label}</a>'
    return f'<span class="planned">{label} (planned)</span>'


class Book:
    def __init__(self, root, out, runs):
        self.root, self.out, self.runs = root, out, runs
        self.lessons, self.level_dirs = read_catalog(root)
        self.by_id = {lesson.id: lesson for lesson in self.lessons}
        self.pages = []
        self.page_of_source = {}   # a Markdown source (absolute) -> its page
        self.missing = []          # relative links and images whose target exists nowhere

    # The pages, in reading order: the front page, then each level's page and lessons.
    def plan(self):
        self.front = Page("front", "index.html", BOOK_TITLE)
        self.pages.append(self.front)
        self.reading_order = [self.front]
        for level, level_dir in sorted(self.level_dirs.items()):
            readme = self.root / level_dir / "README.md"
            if readme.is_file():
                page = Page("level", f"{level_dir}/index.html",
                            level_title(self.root, level, level_dir), readme, level=level)
                self.add(page)
                self.reading_order.append(page)
            for lesson in self.lessons:
                if lesson.level != level or not lesson.written:
                    continue
                notes = self.root / lesson.folder / "NOTES.md"
                page = Page("lesson", f"{lesson.folder}/index.html",
                            f"{lesson.number} {lesson.title}", notes if notes.is_file() else None,
                            lesson=lesson, level=level)
                self.add(page)
                self.reading_order.append(page)
                report = self.runs / lesson.level_dir / lesson.id / "report.md"
                if report.is_file():
                    lesson.report = report
                    self.add(Page("report", f"runs/{lesson.level_dir}/{lesson.id}/report.html",
                                  f"{lesson.number} {lesson.title}: your latest run", report,
                                  lesson=lesson, level=level))
        self.run_index = None
        if (self.runs / "index.md").is_file():
            self.run_index = Page("run", "runs/index.html", "All lessons: your latest run",
                                  self.runs / "index.md")
            self.add(self.run_index)

    def add(self, page):
        self.pages.append(page)
        if page.source:
            self.page_of_source[page.source.resolve()] = page

    # Where a file outside the pages lands in the book: the same place relative to its tree.
    def book_path(self, path):
        for tree, prefix in ((self.runs.resolve(), Path("runs")), (self.root.resolve(), Path("."))):
            if path == tree or tree in path.parents:
                return prefix / path.relative_to(tree)
        return None

    def rewrite_links(self, page, fragment):
        """Relative links and images: Markdown pages become their HTML page, other files are
        copied into the book at the same relative place."""
        source_dir = page.source.resolve().parent

        def rewrite(match):
            attribute, value = match.group(1), html.unescape(match.group(2))
            if not value or value.startswith(("#", "/")) or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value):
                return match.group(0)
            path, _, anchor = value.partition("#")
            target = (source_dir / urllib.parse.unquote(path)).resolve()
            if target in self.page_of_source:
                new = os.path.relpath(self.page_of_source[target].out, page.out.parent)
            elif target.is_file() and self.book_path(target) is not None:
                destination = self.out / self.book_path(target)
                if not destination.exists():
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(target, destination)
                new = os.path.relpath(self.book_path(target), page.out.parent)
            else:
                self.missing.append(f"{page.source}: {value}")
                return match.group(0)
            new = urllib.parse.quote(new) + (f"#{anchor}" if anchor else "")
            return f'{attribute}="{html.escape(new)}"'

        return re.sub(r'\b(href|src)="([^"]*)"', rewrite, fragment)

    def render_markdown(self):
        sources = [page for page in self.pages if page.source]
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            fragments = list(pool.map(lambda page: pandoc(page.source), sources))
        for page, fragment in zip(sources, fragments):
            page.body = self.rewrite_links(page, fragment)
        for page in self.pages:
            if page.kind == "lesson" and not page.source:
                page.body = (f"<h1>{html.escape(page.title)}</h1>\n<p>This lesson has no "
                             f"NOTES.md yet.</p>\n")

    # ---- the side column and the pager ----------------------------------------------------

    def contents(self, page):
        items = "".join(f'<li><a href="#{hid}">{html.escape(text_of(text))}</a></li>'
                        for level, hid, text in page.headings if level == 2)
        return f'<nav class="toc"><h2>Contents</h2><ul>{items}</ul></nav>' if items else ""

    def side(self, page):
        parts = []
        lesson = page.lesson
        if page.kind == "lesson":
            if lesson.report:
                parts.append(f'<div class="run-box"><h2>Your latest run</h2>{self.run_summary(lesson)}'
                             f'<p><a class="report-link" href="{page.root}runs/{lesson.level_dir}/'
                             f'{lesson.id}/report.html">Read your report</a></p></div>')
            else:
                parts.append(f'<div class="run-box none"><h2>Your latest run</h2><p>Not run yet. '
                             f'<code>./learn run {lesson.id}</code> writes its report, and '
                             f'<code>./learn book</code> then puts it here.</p></div>')
            parts.append(self.contents(page))
            before = [self.by_id[i] for i in lesson.builds_on if i in self.by_id]
            after = [other for other in self.lessons if lesson.id in other.builds_on]
            for heading, group in (("Builds on", before), ("Leads to", after)):
                if group:
                    items = "".join(f"<li>{lesson_link(other, page)}</li>" for other in group)
                    parts.append(f'<nav class="related"><h2>{heading}</h2><ul>{items}</ul></nav>')
        elif page.kind == "report":
            parts.append(f'<div class="run-box"><h2>This run</h2>{self.run_summary(lesson)}'
                         f'<p><a href="{page.root}{lesson.folder}/index.html">Back to the notes '
                         f'of {lesson.number}</a></p></div>')
            parts.append(self.contents(page))
        elif page.kind in ("level", "run"):
            parts.append(self.contents(page))
        return "\n".join(parts)

    def run_summary(self, lesson):
        when = datetime.datetime.fromtimestamp(lesson.report.stat().st_mtime)
        details = ""
        metrics = lesson.report.parent / "metrics.json"
        try:
            data = json.loads(metrics.read_text())
            details = f", seed {data.get('seed', '?')}, {'quick' if data.get('quick') else 'full'} run"
        except (OSError, ValueError):
            pass
        return f'<p>{when:%Y-%m-%d %H:%M}{html.escape(details)}</p>'

    def pager(self, page):
        if page not in self.reading_order:
            return ""
        k = self.reading_order.index(page)
        links = []
        if k > 0:
            prev = self.reading_order[k - 1]
            links.append(f'<a class="prev" rel="prev" href="{page.root}{prev.out.as_posix()}">'
                         f'← {html.escape(prev.title)}</a>')
        if k + 1 < len(self.reading_order):
            nxt = self.reading_order[k + 1]
            links.append(f'<a class="next" rel="next" href="{page.root}{nxt.out.as_posix()}">'
                         f'{html.escape(nxt.title)} →</a>')
        return "\n".join(links)

    def crumbs(self, page):
        parts = []
        if page.level and page.kind != "level":
            level_dir = self.level_dirs[page.level]
            parts.append(f'<a href="{page.root}{level_dir}/index.html">Level {page.level}</a>')
        if page.kind == "report":
            parts.append(f'<a href="{page.root}{page.lesson.folder}/index.html">'
                         f'{page.lesson.number} {html.escape(page.lesson.title)}</a>')
        return " › ".join(parts)

    # ---- the front page -------------------------------------------------------------------

    def graph_svg(self):
        """The prerequisite graph (builds-on edges of the catalog), drawn by dot as SVG."""
        # Top to bottom, no level clusters (levels interleave along the builds-on edges).
        lines = ["digraph curriculum {",
                 '  graph [rankdir=TB, nodesep=0.08, ranksep=0.3, fontname="sans-serif", fontsize=11,'
                 ' bgcolor="transparent"];',
                 '  node [shape=box, style="rounded,filled", fontname="sans-serif", fontsize=10,'
                 ' height=0.3, margin="0.08,0.03"];',
                 '  edge [color="#8a94a6", arrowsize=0.5];']
        for lesson in self.lessons:
            attributes = {"label": f"{lesson.number}\\n{lesson.id.replace('_', ' ')}",
                          "tooltip": f"{lesson.number} {lesson.title}"}
            if lesson.written:
                attributes.update(URL=f"{lesson.folder}/index.html", target="_top",
                                  fillcolor="#dbe8fb", color="#2f6bbf")
                if lesson.draft:
                    attributes["style"] = "rounded,filled,dashed"
            else:
                attributes.update(fillcolor="#f4f5f7", color="#b8bec8", fontcolor="#7b8494",
                                  style="rounded,filled,dashed")
            quoted = ", ".join(f'{key}="{value.replace(chr(34), chr(39))}"'
                               for key, value in attributes.items())
            lines.append(f'  "{lesson.id}" [{quoted}];')
        for lesson in self.lessons:
            for other in lesson.builds_on:
                if other in self.by_id:
                    lines.append(f'  "{other}" -> "{lesson.id}";')
        lines.append("}")
        result = subprocess.run(["dot", "-Tsvg"], input="\n".join(lines), capture_output=True,
                                text=True)
        if result.returncode != 0:
            fail(f"dot failed on the prerequisite graph:\n{result.stderr}")
        svg = result.stdout
        return svg[svg.index("<svg"):]   # inline: no XML prolog or doctype

    def front_page(self):
        page = self.front
        written = [lesson for lesson in self.lessons if lesson.written]
        body = [f"<h1 id=\"top\">{BOOK_TITLE}, in C++</h1>",
                "<p class=\"lead\">A literate curriculum of standalone lesson programs, six levels "
                "deep, from floating point to ML systems. Each lesson's page holds its notes "
                "(derivation, figures, failure modes, open questions) with the reference figures "
                "of a full run, and links the report of your own latest run beside them.</p>",
                f"<p>{len(written)} of {len(self.lessons)} lessons are written; the others are "
                "planned. Read in order with the links at the foot of each page, or search "
                "with the box above.</p>"]
        if self.run_index:
            when = datetime.datetime.fromtimestamp((self.runs / "index.md").stat().st_mtime)
            body.append(f'<p class="run-link">Your latest run of every lesson '
                        f'(<code>./learn run --all</code>, {when:%Y-%m-%d %H:%M}): '
                        f'<a href="runs/index.html">the run index</a>.</p>')
        else:
            body.append("<p class=\"run-link\">No run of every lesson yet: "
                        "<code>./learn run --all</code> writes one, <code>./learn book</code> "
                        "then links it here.</p>")
        body.append('<h2 id="prerequisites">Prerequisite graph</h2>')
        body.append("<p>An arrow goes from a lesson to each lesson that builds on it (the "
                    "catalog's builds-on). Blue boxes are written lessons (click to read; dashed: "
                    "draft), grey dashed boxes are planned.</p>")
        svg = self.graph_svg()
        (self.out / "prerequisites.svg").write_text(svg)
        body.append(f'<div class="graph">{svg}</div>')
        body.append('<p class="graph-note"><a href="prerequisites.svg">The graph at full size</a>'
                    '</p>')
        body.append('<h2 id="levels">Levels</h2>')
        for level, level_dir in sorted(self.level_dirs.items()):
            title = html.escape(level_title(self.root, level, level_dir))
            if (self.root / level_dir / "README.md").is_file():
                title = f'<a href="{level_dir}/index.html">{title}</a>'
            body.append(f'<h3 id="level-{level}">{title}</h3>')
            rows = []
            for lesson in (lesson for lesson in self.lessons if lesson.level == level):
                builds = ", ".join(self.by_id[i].number for i in lesson.builds_on
                                   if i in self.by_id) or "—"
                if not lesson.written:
                    status = "planned"
                elif lesson.report:
                    status = (f'written{" (draft)" if lesson.draft else ""}; '
                              f'<a href="runs/{lesson.level_dir}/{lesson.id}/report.html">your run</a>')
                else:
                    status = "written (draft)" if lesson.draft else "written"
                rows.append(f"<tr class=\"{'written' if lesson.written else 'planned'}\">"
                            f"<td>{lesson.number}</td><td>{lesson_link(lesson, page)}</td>"
                            f"<td>{builds}</td><td>{status}</td></tr>")
            body.append("<table class=\"map\"><thead><tr><th>no.</th><th>lesson</th>"
                        "<th>builds on</th><th>status</th></tr></thead><tbody>"
                        + "".join(rows) + "</tbody></table>")
        page.body = "\n".join(body)

    # ---- writing ------------------------------------------------------------------------

    def write_pages(self):
        template = (HERE / "page.html").read_text()
        for page in self.pages:
            page.headings = [(int(level), hid, text) for level, hid, text in HEADING.findall(page.body)]
            values = {"title": html.escape(page.title), "book": BOOK_TITLE, "root": page.root,
                      "kind": page.kind, "crumbs": self.crumbs(page), "side": self.side(page),
                      "body": page.body, "pager": self.pager(page)}
            text = re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)
            destination = self.out / page.out
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(text)

    def search_documents(self):
        """One document per section (h1-h3) of every page, for the search box."""
        documents = []
        for page in self.pages:
            cuts = [(m.start(), m.group(2), text_of(m.group(3))) for m in HEADING.finditer(page.body)]
            if not cuts or cuts[0][0] > 0:
                cuts.insert(0, (0, "", page.title))
            for k, (start, hid, heading) in enumerate(cuts):
                end = cuts[k + 1][0] if k + 1 < len(cuts) else len(page.body)
                chunk = page.body[start:end]
                chunk = re.sub(r"<svg.*?</svg>", " ", chunk, flags=re.S)
                text = " ".join(text_of(chunk).split())
                url = page.out.as_posix() + (f"#{hid}" if hid else "")
                documents.append({"id": str(len(documents)), "url": url, "page": page.title,
                                  "section": heading if heading != page.title else "",
                                  "text": text})
        return documents

    def write_assets(self):
        assets = self.out / "assets"
        (assets / "katex").mkdir(parents=True)
        for name in ("katex.min.js", "katex.min.css"):
            shutil.copyfile(KATEX_DIR / name, assets / "katex" / name)
        shutil.copytree(KATEX_DIR / "fonts", assets / "katex" / "fonts")   # follows the link
        shutil.copyfile(LUNR_JS, assets / "lunr.min.js")
        for name in ("book.css", "book.js"):
            shutil.copyfile(HERE / name, assets / name)
        # A script, not JSON: file:// pages may not fetch() their neighbours.
        (assets / "search-index.js").write_text(
            "window.BOOK_SEARCH = " + json.dumps(self.search_documents(), ensure_ascii=False) + ";\n")

    def build(self):
        self.plan()
        self.render_markdown()
        self.front_page()
        self.write_pages()
        self.write_assets()
        (self.out / MARKER).write_text("written by tools/book/make_book.py (./learn book)\n")


def main():
    parser = argparse.ArgumentParser(description="The offline HTML book of the curriculum.")
    parser.add_argument("root", type=Path, help="the repository")
    parser.add_argument("out", type=Path, help="the book's folder (replaced)")
    parser.add_argument("--runs", type=Path, help="the runs' folder (default ROOT/out)")
    args = parser.parse_args()
    root = args.root.resolve()
    runs = (args.runs or root / "out").resolve()
    out = args.out.resolve()
    for tool in ("pandoc", "dot"):
        if not shutil.which(tool):
            fail(f"{tool} is missing", "./learn setup installs it (Debian's pandoc, graphviz).")
    for path, package in ((KATEX_DIR / "katex.min.js", "libjs-katex"), (LUNR_JS, "libjs-lunr")):
        if not path.is_file():
            fail(f"{path} is missing", f"./learn setup installs it (Debian's {package}).")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        fail(f"{out} exists and is not a book this command wrote",
             "Name an empty or new folder with --out; the book's folder is replaced as a whole.")
    # Built beside the old book, which is replaced only once the new one is complete.
    staging = out.with_name(out.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    book = Book(root, staging, runs)
    book.build()
    for missing in book.missing:
        print(f"learn: book: warning: {missing} links a file that does not exist", file=sys.stderr)
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    lessons = sum(1 for page in book.pages if page.kind == "lesson")
    reports = sum(1 for page in book.pages if page.kind == "report")
    shown = os.path.relpath(out) if out.is_relative_to(Path.cwd()) else str(out)
    print(f"learn: book: {len(book.pages)} pages ({lessons} lessons, {reports} reports of your runs"
          f"{', the run index' if book.run_index else ''}) in {shown}/; open {shown}/index.html")


if __name__ == "__main__":
    main()
