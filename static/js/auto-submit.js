// Choosing in a select of a `form[data-auto-submit]` (the timeline's month, an album's sort)
// submits its form at once. Without this script the form's own button does the same.
"use strict";

(function () {
  for (const form of document.querySelectorAll("form[data-auto-submit]")) {
    // A choice applies itself now, so the form's own button (for pages without this script)
    // would only repeat it.
    for (const button of form.querySelectorAll('button[type="submit"]')) button.hidden = true;
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.requestSubmit());
    }
  }
})();
