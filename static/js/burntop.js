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

  /* Menus are <details data-menu>: they open and close without this script; it closes them on
     Escape (focus back on their summary), on a click outside, and when focus leaves them. */
  function closeMenus(except, refocus) {
    doc.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (menu === except || (except && menu.contains(except))) return;
      var hadFocus = menu.contains(doc.activeElement);
      menu.open = false;
      if (refocus && hadFocus) menu.querySelector("summary").focus();
    });
  }

  /* The browser's time zone for sign-ins that may start a new account: a form field or a link
     parameter ([data-browser-timezone]); the server keeps it only if it is a zone it knows. */
  function fillTimeZones(root) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
    if (!zone || !root.querySelectorAll) return;
    root.querySelectorAll("[data-browser-timezone]").forEach(function (element) {
      if (element.tagName === "INPUT") { element.value = zone; return; }
      var url = new URL(element.href, doc.baseURI);
      url.searchParams.set("timezone", zone);
      element.href = url.pathname + url.search;
    });
  }

  doc.addEventListener("click", function (event) {
    closeMenus(event.target.closest("details[data-menu]"), false);
    var target = event.target.closest("[data-theme-toggle], [data-copy]");
    if (!target) return;
    if (target.hasAttribute("data-theme-toggle")) toggleTheme();
    else copy(target);
  });

  doc.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMenus(null, true);
  });

  doc.addEventListener("focusin", function (event) {
    closeMenus(event.target, false);
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });

  doc.addEventListener("DOMContentLoaded", function () { fillTimeZones(doc); });
  doc.addEventListener("htmx:load", function (event) { fillTimeZones(event.target); });
})(document, document.documentElement);
