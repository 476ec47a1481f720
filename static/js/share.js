// The Share page: a Copy button puts its link on the clipboard, and says so (or, where the
// clipboard is not allowed, selects the text for the person to copy).
(() => {
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      const status = document.querySelector("[data-copy-status]");
      if (!(field instanceof HTMLInputElement)) return;
      try {
        await navigator.clipboard.writeText(field.value);
        if (status) status.textContent = "Copied.";
      } catch {
        field.select();
        if (status) status.textContent = "Select the link and copy it.";
      }
    });
  }
})();
