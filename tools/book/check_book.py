#!/usr/bin/python3
"""check_book.py: opens every page of the offline book in headless Chromium (ctest `book`).

usage: check_book.py BOOK SCREENSHOTS [--lesson FOLDER]

Loads each BOOK/**/*.html from file:// (no server, no network) with Debian's chromium and
chromedriver through python3-selenium, and fails (exit 1, the problems listed per page) on
  * a KaTeX error (.katex-error, or an unsupported command KaTeX shows in red) or a
    formula left untypeset (span.math without .katex),
  * an image that did not load (complete and naturalWidth > 0),
  * an internal link (HTML or the graph's SVG) to a file missing from the book, to a place
    outside it, or to an anchor its target page lacks,
  * a console error (a missing script, style sheet or font; a script error),
  * a search box that finds nothing for "gradient" or a lesson page without numbered
    equations (\\tag) typeset.
Saves SCREENSHOTS/front.png (the top of the front page) and SCREENSHOTS/lesson.png
(FOLDER's page, by default the first written lesson with figures, scrolled to its first
figure) for a person to look at.
"""
import argparse
import base64
import re
import sys
import time
import urllib.parse
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

WIDTH, HEIGHT = 1400, 1300

# Run in each page once it has loaded (images included): what the reader would see wrong.
PAGE_CHECKS = """
const out = {katexErrors: [], untypeset: 0, badImages: [], links: [], tags: 0, title: document.title};
for (const e of document.querySelectorAll('.katex-error'))
  out.katexErrors.push((e.getAttribute('title') || '') + ' in: ' + e.textContent.slice(0, 120));
// throwOnError: false shows an unsupported command in red (#cc0000) instead of failing.
for (const e of document.querySelectorAll('.katex-html [style]'))
  if (e.style.color === 'rgb(204, 0, 0)' && !e.querySelector('[style]'))
    out.katexErrors.push('unsupported command ' + e.textContent + ' in: ' +
                         e.closest('.katex').querySelector('annotation').textContent.slice(0, 120));
for (const m of document.querySelectorAll('span.math'))
  if (!m.querySelector('.katex') && !m.querySelector('.katex-error')) out.untypeset++;
for (const img of document.querySelectorAll('img'))
  if (!img.complete || img.naturalWidth === 0) out.badImages.push(img.getAttribute('src'));
for (const a of document.querySelectorAll('a')) {
  const raw = a.getAttribute('href') || a.getAttribute('xlink:href');
  if (raw) out.links.push(new URL(raw, document.baseURI).href);
}
out.tags = document.querySelectorAll('.katex-display .tag').length;
return out;
"""


def start_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={WIDTH},{HEIGHT}", "--hide-scrollbars", "--force-device-scale-factor=1",
                 "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Checker:
    def __init__(self, book):
        self.book = book.resolve()
        self.ids = {}          # page path -> the ids it defines
        self.problems = []

    def anchors(self, path):
        if path not in self.ids:
            text = path.read_text(errors="replace") if path.suffix == ".html" else ""
            self.ids[path] = set(re.findall(r'\bid="([^"]+)"', text))
        return self.ids[path]

    def check_link(self, page, url):
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme != "file":
            return None   # not part of the book (there are none today)
        target = Path(urllib.parse.unquote(parsed.path))
        if target != self.book and self.book not in target.parents:
            return f"link leaves the book: {url}"
        if not target.is_file():
            return f"broken link: {target.relative_to(self.book)}"
        anchor = urllib.parse.unquote(parsed.fragment)
        if anchor and anchor not in self.anchors(target):
            return f"broken anchor: {target.relative_to(self.book)}#{anchor}"
        return None

    def check_page(self, driver, path):
        driver.get(path.as_uri())
        result = driver.execute_script(PAGE_CHECKS)
        problems = [f"KaTeX error: {e}" for e in result["katexErrors"]]
        if result["untypeset"]:
            problems.append(f"{result['untypeset']} formulas not typeset (KaTeX did not run)")
        problems += [f"image did not load: {src}" for src in result["badImages"]]
        for url in sorted(set(result["links"])):
            problem = self.check_link(path, url)
            if problem:
                problems.append(problem)
        for entry in driver.get_log("browser"):
            if entry["level"] == "SEVERE":
                problems.append(f"console error: {entry['message']}")
        for problem in problems:
            self.problems.append(f"{path.relative_to(self.book)}: {problem}")
        return result


def screenshot(driver, path, clip_top, height):
    """The page from clip_top down, height pixels (beyond the window if need be)."""
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": clip_top, "width": WIDTH, "height": height, "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))


def main():
    parser = argparse.ArgumentParser(description="Checks every page of the book in Chromium.")
    parser.add_argument("book", type=Path)
    parser.add_argument("screenshots", type=Path)
    parser.add_argument("--lesson", help="the lesson folder to screenshot (level1_math/04_gradient_descent)")
    args = parser.parse_args()
    book = args.book.resolve()
    pages = sorted(book.rglob("*.html"))
    if not (book / "index.html").is_file():
        sys.exit(f"check_book: no {book}/index.html: build the book first (./learn book --out {book})")
    checker = Checker(book)
    start = time.monotonic()
    driver = start_browser()
    try:
        tags = {}
        for path in pages:
            tags[path] = checker.check_page(driver, path)["tags"]
        lessons = [p for p in pages if re.fullmatch(r"level\d_[a-z]+/\d\d_[a-z0-9_]+/index\.html",
                                                    p.relative_to(book).as_posix())]
        if lessons and not any(tags[p] for p in lessons):
            checker.problems.append("no lesson page shows a numbered equation (\\tag)")

        # The search box: lunr over assets/search-index.js, loaded from file://.
        driver.get((book / "index.html").as_uri())
        box = driver.find_element(By.ID, "search")
        box.click()
        box.send_keys("gradient")
        hits = []
        for _ in range(50):
            hits = driver.find_elements(By.CSS_SELECTOR, "#search-results a")
            if hits:
                break
            time.sleep(0.1)
        if not hits:
            checker.problems.append("index.html: the search box finds nothing for 'gradient'")
        else:
            problem = checker.check_link(book / "index.html", hits[0].get_attribute("href"))
            if problem:
                checker.problems.append(f"index.html: search result: {problem}")
        for entry in driver.get_log("browser"):
            if entry["level"] == "SEVERE":
                checker.problems.append(f"index.html (search): console error: {entry['message']}")

        # Screenshots: the top of the front page, and a lesson around its first figure.
        args.screenshots.mkdir(parents=True, exist_ok=True)
        driver.get((book / "index.html").as_uri())
        screenshot(driver, args.screenshots / "front.png", 0, 1500)
        candidates = ([book / args.lesson / "index.html"] if args.lesson else
                      [p for p in lessons if (p.parent / "figures").is_dir()])
        if candidates and candidates[0].is_file():
            # Scrolled so that the first figure ends at the bottom of the window, with the
            # text and formulas before it above (the bar and the contents stay in view).
            driver.get(candidates[0].as_uri())
            driver.execute_script(
                "const f = document.querySelector('main figure, main img');"
                "if (f) window.scrollTo(0, f.getBoundingClientRect().bottom + window.scrollY + 24"
                " - window.innerHeight);")
            time.sleep(0.2)
            driver.save_screenshot(str(args.screenshots / "lesson.png"))
        else:
            checker.problems.append(f"no lesson page to screenshot ({args.lesson or 'none with figures'})")
    finally:
        driver.quit()

    seconds = time.monotonic() - start
    if checker.problems:
        print(f"check_book: {len(checker.problems)} problems in {len(pages)} pages of {book}:")
        for problem in checker.problems:
            print(f"  {problem}")
        print("A formula KaTeX rejects is fixed in the lesson's NOTES.md; a missing file or "
              "script in tools/book/ (make_book.py copies what the pages link).")
        return 1
    print(f"check_book: {len(pages)} pages in Chromium, no KaTeX error, missing image, broken link "
          f"or console error ({seconds:.1f} s); screenshots: {args.screenshots}/front.png, lesson.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
