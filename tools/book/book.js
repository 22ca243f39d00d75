// The offline book's script (tools/book/make_book.py copies it to assets/):
// typesets the math with KaTeX and runs the search box with lunr, both from Debian.
(function () {
  "use strict";
  var root = document.body.getAttribute("data-root") || "";

  // ---- math ---------------------------------------------------------------------------------
  // pandoc --katex leaves each $...$ and $$...$$ as <span class="math inline|display"> holding
  // the TeX. A formula KaTeX cannot parse is shown as a red .katex-error (the book test fails
  // on one) rather than stopping the page. Macros (\gdef, \def) carry over within a page.
  function renderMath() {
    var macros = {};
    var spans = document.querySelectorAll("span.math");
    for (var i = 0; i < spans.length; i++) {
      var span = spans[i];
      katex.render(span.textContent, span, {
        displayMode: span.classList.contains("display"),
        throwOnError: false,
        strict: "ignore",   // Unicode letters in math (μ, κ) are fine for the reader
        macros: macros
      });
    }
  }
  if (window.katex) renderMath();

  // ---- search -------------------------------------------------------------------------------
  // assets/search-index.js (one document per section of every page) is loaded on first use
  // as a script: pages read from file:// may not fetch() a JSON file.
  var input = document.getElementById("search");
  var box = document.getElementById("search-results");
  if (!input || !box) return;
  var index = null, documents = null, loading = false, pending = "";

  function load() {
    if (loading) return;
    loading = true;
    var script = document.createElement("script");
    script.src = root + "assets/search-index.js";
    script.onload = function () {
      documents = window.BOOK_SEARCH || [];
      index = lunr(function () {
        this.ref("id");
        this.field("page", { boost: 5 });
        this.field("section", { boost: 3 });
        this.field("text");
        for (var i = 0; i < documents.length; i++) this.add(documents[i]);
      });
      if (pending) search(pending);
    };
    document.head.appendChild(script);
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" }[c];
    });
  }

  function snippet(text, words) {
    var lower = text.toLowerCase(), at = -1;
    for (var i = 0; i < words.length && at < 0; i++) at = lower.indexOf(words[i].toLowerCase());
    var start = Math.max(0, at - 60);
    return (start > 0 ? "…" : "") + text.substr(start, 180) + (start + 180 < text.length ? "…" : "");
  }

  function search(text) {
    pending = text;
    if (!text.trim()) { box.hidden = true; return; }
    if (!index) { load(); return; }
    var words = text.trim().split(/\s+/);
    // Every word but the last must occur (stemmed as in the index); the last, perhaps
    // still being typed, matches whole or as a prefix.
    var hits = index.query(function (query) {
      var tokens = lunr.tokenizer(text);
      tokens.forEach(function (token, k) {
        var term = token.toString();
        if (k < tokens.length - 1) {
          query.term(term, { presence: lunr.Query.presence.REQUIRED });
        } else {
          query.term(term, { boost: 10 });
          query.term(term, { wildcard: lunr.Query.wildcard.TRAILING, usePipeline: false });
        }
      });
    }).slice(0, 12);
    if (hits.length === 0) {
      box.innerHTML = '<div class="none">Nothing found for “' + escapeHtml(text) + '”.</div>';
    } else {
      box.innerHTML = hits.map(function (hit) {
        var doc = documents[Number(hit.ref)];
        var where = escapeHtml(doc.page) + (doc.section ? " › " + escapeHtml(doc.section) : "");
        return '<a href="' + root + doc.url + '"><span class="where">' + where + "</span>" +
               '<span class="snippet">' + escapeHtml(snippet(doc.text, words)) + "</span></a>";
      }).join("");
    }
    box.hidden = false;
  }

  input.addEventListener("focus", load);
  input.addEventListener("input", function () { search(input.value); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { box.hidden = true; input.blur(); }
    if (event.key === "Enter") {
      var first = box.querySelector("a");
      if (first) window.location.href = first.href;
    }
  });
  document.addEventListener("click", function (event) {
    if (!box.contains(event.target) && event.target !== input) box.hidden = true;
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && document.activeElement !== input) { event.preventDefault(); input.focus(); }
  });
})();
