// The phone header's icon buttons: each reveals the part of the header it controls (the search
// field, the account menu) below the one-row bar, and hides the others. On wider screens those
// parts are always shown and the buttons are hidden by the stylesheet, so this does nothing there.
"use strict";

(function () {
  const toggles = Array.from(document.querySelectorAll("[data-reveal]"));
  if (!toggles.length) return;

  function panelOf(toggle) {
    return document.getElementById(toggle.getAttribute("aria-controls"));
  }

  function setOpen(toggle, open) {
    const panel = panelOf(toggle);
    if (!panel) return;
    toggle.setAttribute("aria-expanded", String(open));
    panel.classList.toggle("site-nav__fold--open", open);
  }

  for (const toggle of toggles) {
    toggle.addEventListener("click", (event) => {
      event.preventDefault(); // the search icon is also a link to the search page, for no script
      const open = toggle.getAttribute("aria-expanded") !== "true";
      for (const other of toggles) setOpen(other, other === toggle && open);
      if (!open) return;
      const first = panelOf(toggle).querySelector("input, a, button");
      if (first) first.focus();
    });
  }

  function closeAll() {
    for (const toggle of toggles) setOpen(toggle, false);
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = toggles.find((toggle) => toggle.getAttribute("aria-expanded") === "true");
    closeAll();
    if (open) open.focus();
  });
  // A tap outside the header closes what it opened.
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".site-header")) closeAll();
  });
})();
