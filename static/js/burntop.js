/* burntop's only hand-written script (the CSP allows no inline script). Loaded in <head> without
   defer so the saved theme applies before the first paint; every behaviour is a delegated listener
   keyed on a data attribute, so htmx-swapped markup works without re-binding. */
(function (doc, root) {
  "use strict";
  var THEME_KEY = "burntop-theme";
  try {
    var saved = localStorage.getItem(THEME_KEY);
    if (saved === "dark" || saved === "light") root.dataset.theme = saved;
  } catch (e) { /* storage blocked: follow the system theme */ }

  function toggleTheme() {
    var dark = root.dataset.theme ? root.dataset.theme === "dark"
      : window.matchMedia("(prefers-color-scheme: dark)").matches;
    root.dataset.theme = dark ? "light" : "dark";
    try { localStorage.setItem(THEME_KEY, root.dataset.theme); } catch (e) { /* not kept */ }
  }

  function copy(button) {
    var source = doc.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.value !== undefined ? source.value : source.textContent).then(function () {
      var label = button.querySelector("[data-copy-label]") || button;
      label.textContent = "Copied";
    });
  }

  doc.addEventListener("click", function (event) {
    var target = event.target.closest("[data-theme-toggle], [data-copy]");
    if (!target) return;
    if (target.hasAttribute("data-theme-toggle")) toggleTheme();
    else copy(target);
  });

  doc.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });
})(document, document.documentElement);
