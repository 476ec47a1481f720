// The photo page: each label box is placed over the preview from its data attributes (the
// Content-Security-Policy allows no style attribute, but a script may set styles), and pointing
// at a label chip outlines where that label was found.
(function () {
  "use strict";
  const frame = document.getElementById("preview-frame");
  if (!frame) return;
  const boxes = Array.from(frame.querySelectorAll(".label-box"));
  if (!boxes.length) return;

  for (const box of boxes) {
    for (const side of ["left", "top", "width", "height"]) box.style[side] = box.dataset[side] + "%";
  }

  function show(label) {
    for (const box of boxes) box.classList.toggle("label-box--on", box.dataset.label === label);
    frame.classList.toggle("preview-frame--outlining", label !== null);
  }

  for (const chip of document.querySelectorAll(".facts .chip[data-label]")) {
    const label = chip.dataset.label;
    if (!boxes.some((box) => box.dataset.label === label)) continue;
    chip.classList.add("chip--located");
    chip.addEventListener("mouseenter", () => show(label));
    chip.addEventListener("focus", () => show(label));
    chip.addEventListener("mouseleave", () => show(null));
    chip.addEventListener("blur", () => show(null));
  }
})();
