/* site-builder search: works from file://. The index is a set of script files under
   search/ (see site_builder/search.py), added to the page on first use: entity names
   first, then one terms file per word of the query and the article files of the hits.
   The box is a combobox: arrows move through the results, Enter opens one, Escape closes
   them, "/" anywhere focuses the box. */
(function () {
  "use strict";
  var form = document.querySelector(".site-search");
  if (!form) {
    return;
  }
  var input = form.querySelector("input");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var root = form.getAttribute("data-root");
  var data = {};
  var waiting = {};
  var TYPES = { person: "Person", place: "Place", organization: "Organization", event: "Event",
                work: "Work", thing: "Other" };
  var active = -1;
  var options = [];
  var asked = 0;
  var BLOCK = 500;  /* articles a block, about, and a file of them (site_builder/search.py) */
  var EXCERPTS_PER_FILE = 40;  /* site_builder/search.py */

  window.siteSearch = {
    add: function (name, value) {
      data[name] = value;
      (waiting[name] || []).forEach(function (done) { done(); });
      delete waiting[name];
    }
  };

  function load(name) {
    return new Promise(function (resolve) {
      if (data[name] !== undefined) {
        return resolve(data[name]);
      }
      if (!waiting[name]) {
        waiting[name] = [];
        var script = document.createElement("script");
        script.src = root + "search/" + name + ".js";
        script.onerror = function () { window.siteSearch.add(name, null); };
        document.head.appendChild(script);
      }
      waiting[name].push(function () { resolve(data[name]); });
    });
  }

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function shardOf(word, length) {
    return (word + "___").slice(0, length).replace(/[^a-z0-9]/g, "_");
  }

  /* The terms file of a word: by its first two characters, or three where those are split. */
  function termsFile(word, shards) {
    var three = shardOf(word, 3);
    return shards.indexOf(three) >= 0 ? three : shardOf(word, 2);
  }

  function searchEntities(entities, query) {
    var hits = [];
    entities.forEach(function (entity) {
      var names = [entity[1]].concat(entity[2]).map(fold);
      var best = -1;
      names.forEach(function (name) {
        if (name === query) { best = Math.max(best, 3); }
        else if (name.indexOf(query) === 0) { best = Math.max(best, 2); }
        else if (name.indexOf(" " + query) >= 0) { best = Math.max(best, 1); }
      });
      if (best >= 0) { hits.push([best, entity]); }
    });
    hits.sort(function (a, b) { return b[0] - a[0] || b[1][4] - a[1][4]; });
    return hits.slice(0, 5).map(function (hit) { return hit[1]; });
  }

  /* Articles are in blocks (an article is [block, place]); each terms file holds one object of
     words per block, and each block lists the words too common in it to be indexed: those
     neither narrow nor rank the block's articles. */
  function searchArticles(words, index) {
    return Promise.all(words.map(function (word) {
      var name = termsFile(word, index.shards);
      return index.shards.indexOf(name) >= 0 ? load("terms-" + name) : Promise.resolve([]);  /* no such words */
    })).then(function (shards) {
      var hits = [];
      for (var b = 0; b < index.blocks; b++) {
        var total = null;
        for (var i = 0; i < words.length; i++) {
          var word = words[i];
          if (index.common[b].indexOf(word) >= 0) {
            continue;
          }
          var terms = (shards[i] || [])[b] || {};
          var last = i === words.length - 1;
          var scores = {};
          for (var term in terms) {
            if (term === word || (last && word.length > 1 && term.indexOf(word) === 0)) {
              var postings = terms[term];
              var weight = Math.log(1 + BLOCK / postings.length) * (term === word ? 1 : 0.6);
              for (var p = 0; p < postings.length; p++) {  /* 3 * place + (0 once, 1 more often, 2 in the title) */
                var place = Math.floor(postings[p] / 3);
                scores[place] = (scores[place] || 0) + weight * (1 + postings[p] % 3);
              }
            }
          }
          if (total === null) {
            total = scores;
          } else {
            var both = {};
            for (var id in total) {
              if (scores[id] !== undefined) { both[id] = total[id] + scores[id]; }
            }
            total = both;
          }
        }
        for (var n in total || {}) {
          hits.push([total[n], b, Number(n)]);
        }
      }
      hits.sort(function (x, y) { return y[0] - x[0] || x[1] - y[1] || x[2] - y[2]; });
      return { count: hits.length, top: hits.slice(0, 8) };
    });
  }

  /* fold, one character for one, so that places in the folded text are places in the text
     ("…" would fold to "...", "ﬁ" to "fi") */
  function foldInPlace(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var folded = fold(text[i]);
      out += folded.length === 1 ? folded : text[i];
    }
    return out;
  }

  function highlight(text, words) {
    var out = document.createDocumentFragment();
    var folded = foldInPlace(text);
    var at = 0;
    var pattern = new RegExp("(^|[^\\p{L}\\p{N}_])(" + words.map(function (w) {
      return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("|") + ")", "gu");
    var match;
    while (words.length && (match = pattern.exec(folded)) !== null) {
      var start = match.index + match[1].length;
      var end = start + match[2].length;
      out.appendChild(document.createTextNode(text.slice(at, start)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(start, end);
      out.appendChild(mark);
      at = end;
    }
    out.appendChild(document.createTextNode(text.slice(at)));
    return out;
  }

  function option(id, href, build) {
    var item = document.createElement("li");
    item.id = "search-option-" + id;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    var link = document.createElement("a");
    link.href = href;
    link.tabIndex = -1;
    build(link);
    item.appendChild(link);
    return item;
  }

  function show(query, entityHits, articles, count, words) {
    list.textContent = "";
    list.setAttribute("data-query", query);  /* what the results are for (tests wait on it) */
    options = [];
    active = -1;
    entityHits.forEach(function (entity, i) {
      options.push(option("e" + i, root + "entities/" + entity[0] + ".html", function (link) {
        link.appendChild(highlight(entity[1], words));
        var kind = document.createElement("span");
        kind.className = "search-type";
        kind.textContent = " " + (TYPES[entity[3]] || entity[3]) + " · " + entity[4] + (entity[4] === 1 ? " article" : " articles");
        link.appendChild(kind);
      }));
    });
    articles.forEach(function (article, i) {
      options.push(option("a" + i, root + "articles/" + article[1] + ".html", function (link) {
        var title = document.createElement("span");
        title.className = "search-title";
        title.appendChild(highlight(article[0], words));
        link.appendChild(title);
        var snippet = document.createElement("span");
        snippet.className = "search-snippet";
        link.appendChild(snippet);
        excerpt(article[3], article[4]).then(function (text) {
          if (text) { snippet.appendChild(highlight(around(text, words), words)); }
        });
      }));
    });
    options.forEach(function (item) { list.appendChild(item); });
    var total = entityHits.length + count;
    status.textContent = total === 0 ? "No results" : total === 1 ? "1 result" : total + " results";
    list.hidden = options.length === 0;
    input.setAttribute("aria-expanded", options.length ? "true" : "false");
    input.removeAttribute("aria-activedescendant");
  }

  /* About 240 characters of the text: from its start, or from a little before the first
     query word when that comes later. */
  function around(text, words) {
    var folded = foldInPlace(text);
    var first = -1;
    words.forEach(function (word) {
      var at = new RegExp("(^|[^\\p{L}\\p{N}_])" + word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "u").exec(folded);
      if (at && (first < 0 || at.index < first)) { first = at.index + at[1].length; }
    });
    var start = 0;
    if (first > 160) {
      start = text.lastIndexOf(" ", first - 60) + 1;
    }
    var end = start + 240 < text.length ? text.lastIndexOf(" ", start + 240) : text.length;
    if (end <= start) { end = Math.min(text.length, start + 240); }
    return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? " …" : "");
  }

  function excerpt(block, place) {
    return load("excerpts-" + block + "-" + Math.floor(place / EXCERPTS_PER_FILE)).then(function (excerpts) {
      return (excerpts || [])[place % EXCERPTS_PER_FILE];
    });
  }

  function run() {
    var query = fold(input.value.trim());
    var ask = ++asked;
    if (!query) {
      close();
      status.textContent = "";
      return;
    }
    var words = query.match(/[\p{L}\p{N}_]+/gu) || [];
    load("index").then(function (index) {
      return Promise.all([load("entities"), load("titles"),
                          index && words.length ? searchArticles(words, index) : { count: 0, top: [] }]);
    }).then(function (found) {
      if (ask !== asked) {
        return;
      }
      var titles = found[1] || [];
      var hits = found[2];
      /* [title, slug, date, block, place]: the excerpt follows once its file is loaded */
      var articles = hits.top.map(function (hit) {
        var row = (titles[hit[1]] || [])[hit[2]];
        return row && row.concat([hit[1], hit[2]]);
      }).filter(Boolean);
      show(query, searchEntities(found[0] || [], query), articles, hits.count, words);
    });
  }

  function move(step) {
    if (!options.length) {
      return;
    }
    if (active >= 0) {
      options[active].setAttribute("aria-selected", "false");
    }
    active = (active + step + options.length) % options.length;
    options[active].setAttribute("aria-selected", "true");
    options[active].scrollIntoView({ block: "nearest" });
    input.setAttribute("aria-activedescendant", options[active].id);
  }

  function close() {
    asked += 1;  /* and forget searches still loading */
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  input.addEventListener("input", run);
  input.addEventListener("focus", function () { load("index"); load("entities"); load("titles"); });  /* while the reader types */
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (event.key === "Enter") {
      event.preventDefault();
      var chosen = options[active >= 0 ? active : 0];
      if (chosen && !list.hidden) { window.location.href = chosen.querySelector("a").href; }
    } else if (event.key === "Escape") { close(); }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target.isContentEditable || /^(input|textarea|select)$/i.test(target.tagName);
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      input.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (!form.contains(event.target)) { close(); }
  });
  /* A combobox once this script runs (the Nu checker wants a plain search box in the HTML). */
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", "search-results");
  input.setAttribute("aria-autocomplete", "list");
  form.hidden = false;
})();
