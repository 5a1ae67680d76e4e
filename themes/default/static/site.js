/* site-builder default theme: the light/dark toggle, remembered in this browser. */
(function () {
  "use strict";
  var KEY = "site-builder-theme";
  var root = document.documentElement;
  var button = document.querySelector(".theme-toggle");
  if (!button) {
    return;
  }
  var system = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function current() {
    return root.getAttribute("data-theme") || (system && system.matches ? "dark" : "light");
  }

  function show() {
    button.setAttribute("aria-pressed", current() === "dark" ? "true" : "false");
  }

  button.addEventListener("click", function () {
    var next = current() === "dark" ? "light" : "dark";
    root.setAttribute("data-theme", next);
    try {
      window.localStorage.setItem(KEY, next);
    } catch (error) {
      /* storage refused (private mode): the choice lasts for this page only */
    }
    show();
  });
  if (system && system.addEventListener) {
    system.addEventListener("change", show);
  }
  show();
  button.hidden = false;
})();

/* Entity previews: hovering or focusing an entity link shows a small card (name, type,
   description, how many articles mention it, a link to its page). The cards of all the
   entities are one script, entities/cards.js (the page names it in data-entity-cards),
   added to the page the first time the reader points at or focuses anything: a script
   loads from file:// too, and one file for all pages means a new article or description
   changes it, not every page showing those entities. Escape closes the card; on a touch
   screen the first tap shows it and the second follows the link. The card sits below the
   link, over nothing but the lines after it, and never moves the text. */
(function () {
  "use strict";
  var holder = document.querySelector("[data-entity-cards]");
  if (!holder) {
    return;
  }
  var cards = null;
  var waiting = [];
  window.siteCards = function (data) {
    cards = data;
    waiting.forEach(function (done) { done(); });
    waiting = [];
  };
  function withCards(done) {
    if (cards) {
      return done();
    }
    waiting.push(done);
    if (waiting.length === 1 && !document.getElementById("entity-cards-script")) {
      var script = document.createElement("script");
      script.id = "entity-cards-script";
      script.src = holder.getAttribute("data-entity-cards");
      document.head.appendChild(script);
    }
  }
  ["pointerover", "focusin", "touchstart"].forEach(function (type) {
    document.addEventListener(type, function () { withCards(function () {}); }, { once: true, passive: true });
  });
  var TYPES = { person: "Person", place: "Place", organization: "Organization", event: "Event",
                work: "Work", thing: "Other" };
  var card = document.createElement("div");
  card.id = "entity-card";
  card.className = "entity-card";
  card.setAttribute("role", "tooltip");
  card.hidden = true;
  document.body.appendChild(card);
  var shownFor = null;
  var wanted = null;  /* the link whose card is to show once the cards have loaded */
  var hideTimer = null;
  var pointer = "mouse";  /* how the last press was made: "touch" taps work differently */
  var armed = null;  /* the link whose card a tap showed: the next tap on it follows it */
  document.addEventListener("pointerdown", function (event) { pointer = event.pointerType; }, true);

  function text(tag, className, value) {
    var node = document.createElement(tag);
    node.className = className;
    node.textContent = value;
    return node;
  }

  function show(link) {
    wanted = link;
    withCards(function () {
      if (wanted === link) {
        reveal(link);
      }
    });
  }

  function reveal(link) {
    var info = cards[link.getAttribute("data-entity")];
    if (!info) {
      return;
    }
    clearTimeout(hideTimer);
    if (shownFor && shownFor !== link) {
      shownFor.removeAttribute("aria-describedby");
    }
    card.textContent = "";
    card.appendChild(text("p", "entity-card-type", TYPES[info.type] || info.type));
    card.appendChild(text("p", "entity-card-name", info.name));
    if (info.description) {
      card.appendChild(text("p", "entity-card-description", info.description));
    }
    var count = info.articles === 1 ? "Mentioned in 1 article" : "Mentioned in " + info.articles + " articles";
    card.appendChild(text("p", "entity-card-count", count));
    var more = text("a", "entity-card-link", "Open the page of " + info.name);
    more.href = link.href;
    card.appendChild(more);
    card.hidden = false;
    var box = link.getBoundingClientRect();
    var width = Math.min(card.offsetWidth, document.documentElement.clientWidth - 16);
    var left = Math.max(8, Math.min(box.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8));
    card.style.left = left + "px";
    card.style.top = (box.bottom + window.scrollY + 6) + "px";
    link.setAttribute("aria-describedby", "entity-card");
    shownFor = link;
  }

  function hide() {
    card.hidden = true;
    armed = null;
    wanted = null;
    if (shownFor) {
      shownFor.removeAttribute("aria-describedby");
    }
    shownFor = null;
  }

  function later() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 250);
  }

  var links = document.querySelectorAll("a.entity[data-entity], a.xref[data-entity]");
  Array.prototype.forEach.call(links, function (link) {
    link.addEventListener("mouseenter", function () {
      if (pointer !== "touch") {
        show(link);
      }
    });
    link.addEventListener("mouseleave", later);
    link.addEventListener("focus", function () { show(link); });
    link.addEventListener("blur", function (event) {
      if (!card.contains(event.relatedTarget)) {
        later();
      }
    });
    link.addEventListener("click", function (event) {
      if (pointer === "touch" && armed !== link) {
        event.preventDefault();  /* the first tap shows the card, the second follows the link */
        show(link);
        armed = link;
      }
    });
  });
  card.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
  card.addEventListener("mouseleave", later);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && shownFor) {
      hide();
    }
  });
  document.addEventListener("pointerdown", function (event) {
    if (shownFor && !card.contains(event.target) && event.target !== shownFor) {
      hide();
    }
  });
})();
