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
