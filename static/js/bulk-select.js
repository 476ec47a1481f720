// The album page's select mode: pick many photos, then delete, move or download them together.
//
// Entering it: the Select button, a click on a tile's check box (pointers that hover), or a long
// press on a tile (touch). In select mode a click or Space on a tile toggles it, Shift selects the
// range from the last tile toggled, and Escape or Cancel leaves. "Select all" means every photo of
// the album, not only this page's 48: the form then sends all=1 and the tiles unticked since
// (except=…), so the selection's size never depends on the album's. The selection lives here, by
// photo id, and is painted onto the tiles; gallery-status.js replacing a tile with a newer card
// (live status) is painted again, so live cards never lose their ticks.
"use strict";

(function () {
  const grid = document.getElementById("photo-grid");
  const bar = document.getElementById("bulk-bar");
  const enterButton = document.getElementById("bulk-select");
  if (!grid || !bar || !enterButton) return;

  const LONG_PRESS_MS = 500;
  const MOVE_TOLERANCE_PX = 10;
  const countText = bar.querySelector('[data-bulk="count"]');
  const fields = bar.querySelector('[data-bulk="fields"]');
  const target = bar.querySelector("#bulk-target");
  const actionButtons = bar.querySelectorAll('button[type="submit"]');
  const total = document.querySelector('[data-count="photos"]');

  let active = false;
  let every = false; // "Select all": every photo of the album but `excluded`
  const chosen = new Set();
  const excluded = new Set();
  let anchor = null; // the photo last toggled: Shift extends from it
  let press = null; // a touch that may become a long press
  let swallowClick = false; // the click that ends a long press must not open the photo

  grid.classList.add("photo-grid--selectable");

  // State ------------------------------------------------------------------------------------------

  function totalPhotos() {
    return total ? Number(total.textContent) || 0 : grid.querySelectorAll(".photo-card").length;
  }

  function isSelected(photoId) {
    return every ? !excluded.has(photoId) : chosen.has(photoId);
  }

  function setSelected(photoId, on) {
    if (every) {
      if (on) excluded.delete(photoId);
      else excluded.add(photoId);
    } else if (on) {
      chosen.add(photoId);
    } else {
      chosen.delete(photoId);
    }
  }

  function selectedCount() {
    return every ? Math.max(0, totalPhotos() - excluded.size) : chosen.size;
  }

  function photoWord(n) {
    return n === 1 ? "photo" : "photos";
  }

  // Painting ---------------------------------------------------------------------------------------

  function paintCard(card) {
    const on = active && isSelected(card.dataset.photoId);
    card.classList.toggle("is-selected", on);
    const box = card.querySelector(".photo-card__check");
    if (box) box.checked = on;
    // The tile's link is what keyboards and screen readers reach: its name says it is picked.
    const link = card.querySelector(".photo-card__link");
    let said = link && link.querySelector(".photo-card__picked");
    if (link && on && !said) {
      said = document.createElement("span");
      said.className = "photo-card__picked visually-hidden";
      said.textContent = " (selected)";
      link.append(said);
    } else if (said && !on) {
      said.remove();
    }
  }

  function paint() {
    grid.classList.toggle("is-selecting", active);
    for (const card of grid.querySelectorAll(".photo-card")) paintCard(card);
    const n = selectedCount();
    countText.textContent =
      every && excluded.size === 0 ? `All ${n} ${photoWord(n)} selected` : `${n} selected`;
    for (const button of actionButtons) button.disabled = n === 0;
    enterButton.hidden = active || !grid.querySelector(".photo-card");
  }

  function enter() {
    if (active) return;
    active = true;
    bar.hidden = false;
    paint();
  }

  function leave() {
    if (!active) return;
    active = false;
    every = false;
    chosen.clear();
    excluded.clear();
    anchor = null;
    bar.hidden = true;
    paint();
    enterButton.focus();
  }

  function toggle(card, extend) {
    const photoId = card.dataset.photoId;
    const cards = Array.from(grid.querySelectorAll(".photo-card"));
    const from = extend && anchor ? cards.findIndex((c) => c.dataset.photoId === anchor) : -1;
    if (from >= 0) {
      // Shift: the range from the last tile toggled to this one, all selected.
      const to = cards.indexOf(card);
      const [low, high] = from < to ? [from, to] : [to, from];
      for (const c of cards.slice(low, high + 1)) setSelected(c.dataset.photoId, true);
    } else {
      setSelected(photoId, !isSelected(photoId));
    }
    anchor = photoId;
    paint();
  }

  // Pointer, keyboard and touch --------------------------------------------------------------------

  grid.addEventListener("click", (event) => {
    const card = event.target.closest(".photo-card");
    if (!card) return;
    if (swallowClick) {
      swallowClick = false;
      event.preventDefault();
      return;
    }
    const box = event.target.closest(".photo-card__check");
    if (box) {
      // The box has already changed; the selection follows it, and select mode starts.
      const checked = box.checked;
      enter();
      if (event.shiftKey && anchor) {
        toggle(card, true);
      } else {
        setSelected(card.dataset.photoId, checked);
        anchor = card.dataset.photoId;
        paint();
      }
      return;
    }
    if (!active) return;
    event.preventDefault(); // in select mode a tile is picked, not opened
    toggle(card, event.shiftKey);
  });

  grid.addEventListener("keydown", (event) => {
    if (!active || event.key !== " ") return;
    const card = event.target.closest(".photo-card");
    if (!card) return;
    event.preventDefault(); // not a scroll
    toggle(card, event.shiftKey);
  });

  grid.addEventListener("pointerdown", (event) => {
    swallowClick = false;
    if (event.pointerType !== "touch") return;
    const card = event.target.closest(".photo-card");
    if (!card) return;
    const timer = setTimeout(() => pressed(card), LONG_PRESS_MS);
    press = { timer, card, x: event.clientX, y: event.clientY };
  });

  function pressed(card) {
    cancelPress();
    swallowClick = true;
    enter();
    setSelected(card.dataset.photoId, true);
    anchor = card.dataset.photoId;
    paint();
  }

  function cancelPress() {
    if (press) clearTimeout(press.timer);
    press = null;
  }

  grid.addEventListener("pointermove", (event) => {
    if (press && Math.hypot(event.clientX - press.x, event.clientY - press.y) > MOVE_TOLERANCE_PX) {
      cancelPress(); // a scroll, not a press
    }
  });
  grid.addEventListener("pointerup", cancelPress);
  grid.addEventListener("pointercancel", cancelPress);
  // A long press on a link opens the browser's menu, sometimes before our timer: the press is
  // ours, and the menu never opens on a tile being pressed or picked.
  grid.addEventListener("contextmenu", (event) => {
    if (press) pressed(press.card);
    if (active || swallowClick) event.preventDefault();
  });

  document.addEventListener("keydown", (event) => {
    if (active && event.key === "Escape") leave();
  });

  enterButton.addEventListener("click", () => {
    enter();
    // The button hides in select mode: focus goes to the first tile, where Space picks.
    const first = grid.querySelector(".photo-card__link");
    if (first) first.focus();
  });
  bar.querySelector('[data-bulk="cancel"]').addEventListener("click", leave);
  bar.querySelector('[data-bulk="all"]').addEventListener("click", () => {
    every = true;
    chosen.clear();
    excluded.clear();
    paint();
  });

  // Sending ----------------------------------------------------------------------------------------

  function hidden(name, value) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  if (target) target.addEventListener("change", () => target.setCustomValidity(""));

  bar.addEventListener("submit", (event) => {
    const action = event.submitter ? event.submitter.dataset.bulk : "delete";
    const n = selectedCount();
    if (n === 0) {
      event.preventDefault();
      return;
    }
    if (action === "move" && target && !target.value) {
      event.preventDefault();
      target.setCustomValidity("Choose the album to move the photos to.");
      target.reportValidity();
      return;
    }
    if (action === "delete" && !window.confirm(`Delete ${n} ${photoWord(n)}?`)) {
      event.preventDefault();
      return;
    }
    const inputs = every
      ? [hidden("all", "1"), ...Array.from(excluded, (id) => hidden("except", id))]
      : Array.from(chosen, (id) => hidden("photo", id));
    fields.replaceChildren(...inputs);
  });

  // Live cards and counts --------------------------------------------------------------------------

  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType === Node.ELEMENT_NODE && node.classList.contains("photo-card")) paintCard(node);
      }
    }
    enterButton.hidden = active || !grid.querySelector(".photo-card");
  }).observe(grid, { childList: true });

  if (total) new MutationObserver(() => active && paint()).observe(total, { childList: true, characterData: true, subtree: true });

  paint();
})();
