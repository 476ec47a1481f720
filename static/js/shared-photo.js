// A shared photo's page: the left and right arrow keys follow its Newer and Older links (each
// link names its key in data-key), unless a key is typed into a field or held with a modifier.
(() => {
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, select, textarea, [contenteditable]")) return;
    const link = document.querySelector(`a[data-key="${event.key}"]`);
    if (link instanceof HTMLAnchorElement) {
      event.preventDefault();
      window.location.assign(link.href);
    }
  });
})();
