// The full-screen viewer (templates/albums/_viewer.html: the owner's photo_detail.html and a
// share's read-only shared_photo.html), on top of a page that works without it: previous,
// next and close are real links. Here ← → and swipes follow them in place (the neighbour's page
// is fetched and its #viewer and #photo-info swapped in, with history.pushState, so Back and a
// copied link land on the same photo), Escape goes back to the grid, a double-click, double-tap,
// pinch or the zoom button brings the original, the neighbours' previews are loaded ahead, and a
// label chip outlines where its label was found (a tap on a phone; searching is the link beside,
// the owner's only), and the owner's label corrections are sent without leaving the page. What
// a page offers is in its markup: no data-original, no original on zoom; no forms, no edits.
(function () {
  "use strict";
  const SWIPE_PX = 50; // a shorter horizontal move is a tap or a wobble, not a swipe
  const TAP_SLOP_PX = 12;
  const DOUBLE_TAP_MS = 350;
  // A neighbour's page is fetched ahead, but its presigned image URLs expire
  // (PHOTOSHARE_URL_SECONDS, 10 s at the least): an older copy is fetched again.
  const PAGE_FRESH_MS = 8000;
  const pages = new Map(); // url -> {at, doc: Promise<Document>}
  let switching = false;
  let popWaiting = false; // a history move arrived during a switch
  let zoomed = false;
  let shownAt = ""; // the path and query of the photo on screen

  function viewer() {
    return document.getElementById("viewer");
  }

  function control(name) {
    return viewer().querySelector('[data-viewer-action="' + name + '"]');
  }

  function fetchPage(url) {
    const held = pages.get(url);
    if (held && performance.now() - held.at < PAGE_FRESH_MS) return held.doc;
    const doc = fetch(url, { credentials: "same-origin" })
      .then((response) => {
        // A redirect is the login page (the session ended): leave it to a real navigation.
        if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then((html) => new DOMParser().parseFromString(html, "text/html"));
    doc.catch(() => pages.delete(url));
    pages.set(url, { at: performance.now(), doc });
    return doc;
  }

  // Shows the photo at url in place; push adds a history entry (keys, swipes, buttons), popstate
  // does not. Anything unexpected falls back to loading the page the ordinary way.
  async function show(url, push, preview) {
    if (switching) {
      // Back or Forward while a photo was coming: shown once that one is in (keys and swipes
      // meanwhile are dropped, as a held key would otherwise queue photo after photo).
      if (!push) popWaiting = true;
      return;
    }
    switching = true;
    try {
      const doc = await fetchPage(url);
      pages.delete(url); // its nodes move into this document: a copy is never shown twice
      const nextViewer = doc.getElementById("viewer");
      const nextInfo = doc.getElementById("photo-info");
      const info = document.getElementById("photo-info");
      if (!nextViewer || !nextInfo || !info) throw new Error("not a viewer page");
      const image = nextViewer.querySelector(".viewer__image");
      // The preview loaded ahead under its own (equally valid) signature: shown at once.
      if (image && preview) image.src = preview;
      const focused = document.activeElement && document.activeElement.dataset
        ? document.activeElement.dataset.viewerAction : undefined;
      viewer().replaceWith(document.adoptNode(nextViewer));
      info.replaceWith(document.adoptNode(nextInfo));
      document.title = doc.title;
      if (push) {
        const state = history.state || {};
        history.pushState({ viewer: true, depth: (state.depth || 0) + 1, grid: state.grid || null }, "", url);
      }
      setUp();
      const again = focused && control(focused);
      if (again) again.focus();
    } catch (error) {
      location.assign(url);
    } finally {
      switching = false;
    }
    if (popWaiting) {
      popWaiting = false;
      if (location.pathname + location.search !== shownAt) show(location.href, false);
    }
  }

  function follow(which) {
    const link = control(which);
    if (link) show(link.href, true, link.dataset.preview);
  }

  // Same grid page? The grid's address as the browser came from it against where closing goes:
  // the owner's grids page by ?page=, a share's gallery by its keyset cursor ?after=.
  function sameGrid(from, target) {
    const a = new URL(from, location.href);
    const b = new URL(target, location.href);
    const page = (url) => url.searchParams.get("page") || "1";
    const same = (name) => a.searchParams.get(name) === b.searchParams.get(name);
    return a.origin === b.origin && a.pathname === b.pathname &&
      same("q") && same("after") && page(a) === page(b);
  }

  // Back to the grid: through history when the viewer was opened from that very grid page (it
  // comes back where it was scrolled), otherwise to the page that holds this photo, at its tile.
  function close() {
    const target = viewer().dataset.closeUrl;
    const state = history.state;
    if (state && state.viewer && state.grid && sameGrid(state.grid, target)) {
      history.go(-(state.depth + 1));
    } else {
      location.assign(target);
    }
  }

  function note(text) {
    const line = viewer().querySelector("[data-viewer-note]");
    if (line) line.textContent = text;
  }

  // Loads the original into the image (once); the preview stays until it has arrived.
  const sharpening = new WeakMap(); // image -> the promise of its original, asked once
  function sharpen(image) {
    const original = image.dataset.original;
    if (!original) return Promise.resolve();
    if (!sharpening.has(image)) {
      note("Loading the original…");
      const full = new Image();
      full.src = original;
      sharpening.set(image, full.decode().then(
        () => {
          image.src = original;
          note("");
          return image.decode().catch(() => undefined);
        },
        () => {
          sharpening.delete(image); // asked again at the next zoom
          note("The original could not be loaded: this is the 1024 px preview.");
        },
      ));
    }
    return sharpening.get(image);
  }

  function setZoom(on, x, y) {
    const canvas = document.getElementById("viewer-canvas");
    const image = viewer().querySelector(".viewer__image");
    const button = control("zoom");
    if (!canvas || !image) return;
    if (!on) {
      zoomed = false;
      canvas.classList.remove("viewer__canvas--zoomed");
      if (button) {
        button.setAttribute("aria-pressed", "false");
        button.setAttribute("aria-label", "Zoom in");
      }
      return;
    }
    // Where the person pointed, as a fraction of the picture, stays under their finger.
    const box = image.getBoundingClientRect();
    const fx = x === undefined ? 0.5 : Math.min(1, Math.max(0, (x - box.left) / box.width));
    const fy = y === undefined ? 0.5 : Math.min(1, Math.max(0, (y - box.top) / box.height));
    zoomed = true;
    if (button) {
      button.setAttribute("aria-pressed", "true");
      button.setAttribute("aria-label", "Zoom out");
    }
    sharpen(image).then(() => {
      if (!zoomed || !image.isConnected) return;
      canvas.classList.add("viewer__canvas--zoomed");
      canvas.scrollLeft = fx * image.offsetWidth - canvas.clientWidth / 2;
      canvas.scrollTop = fy * image.offsetHeight - canvas.clientHeight / 2;
    });
  }

  function setUpLabels() {
    const frame = document.getElementById("preview-frame");
    const boxes = frame ? Array.from(frame.querySelectorAll(".label-box")) : [];
    // The Content-Security-Policy allows no style attribute, but a script may set styles.
    for (const box of boxes) {
      for (const side of ["left", "top", "width", "height"]) box.style[side] = box.dataset[side] + "%";
    }
    let pinned = null; // the label a click or tap chose; pointing at another only previews it
    function outline(label) {
      for (const box of boxes) box.classList.toggle("label-box--on", box.dataset.label === label);
      if (frame) frame.classList.toggle("preview-frame--outlining", label !== null);
    }
    const chips = Array.from(document.querySelectorAll("#photo-info button.chip[data-label]"));
    for (const chip of chips) {
      const label = chip.dataset.label;
      chip.addEventListener("click", () => {
        pinned = pinned === label ? null : label;
        for (const other of chips) other.setAttribute("aria-pressed", String(other.dataset.label === pinned));
        outline(pinned);
        // On a phone the chips are below the picture: bring the outline into view, moving as
        // little as possible so the chips stay in sight where the screen allows.
        const first = boxes.find((box) => box.dataset.label === pinned);
        if (first) first.scrollIntoView({ block: "nearest", behavior: "smooth" });
      });
      chip.addEventListener("pointerenter", (event) => {
        if (event.pointerType === "mouse") outline(label);
      });
      chip.addEventListener("pointerleave", (event) => {
        if (event.pointerType === "mouse") outline(pinned);
      });
    }
  }

  // The owner's label corrections (albums/label_views.py): the page's own forms, sent with fetch
  // (their csrfmiddlewaretoken goes with them); the answer's labels and boxes replace the old
  // ones in place. A refusal keeps what was typed and says why; anything unexpected (the session
  // ended, the network) sends the form the ordinary way.
  async function correctLabels(form) {
    const labels = document.getElementById("photo-labels");
    if (!labels) return form.submit();
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    let answer;
    let ok = false;
    try {
      // Not form.action: the forms have a field named "action", which that property would be.
      const response = await fetch(form.getAttribute("action"), {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const type = response.headers.get("Content-Type") || "";
      if (response.redirected || !type.startsWith("application/json")) throw new Error("HTTP " + response.status);
      answer = await response.json();
      ok = response.ok;
    } catch (error) {
      form.submit();
      return;
    }
    if (ok) {
      const adding = form.querySelector('input[name="tag"]') !== null;
      labels.innerHTML = answer.labels;
      const frame = document.getElementById("preview-frame");
      if (frame) {
        for (const box of frame.querySelectorAll(".label-box")) box.remove();
        frame.classList.remove("preview-frame--outlining");
        frame.insertAdjacentHTML("beforeend", answer.boxes);
      }
      setUpLabels();
      // Adding is often several tags in a row: the box is ready for the next one.
      const box = adding && labels.querySelector('input[name="tag"]');
      if (box) box.focus();
    } else {
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
    const status = labels.querySelector("[data-labels-status]");
    if (status) status.textContent = answer.message;
  }

  function setUpGestures() {
    const canvas = document.getElementById("viewer-canvas");
    if (!canvas) return;
    let start = null;
    let lastTap = null;
    let panning = null;
    canvas.addEventListener("pointerdown", (event) => {
      if (!event.isPrimary || event.button > 0) return;
      start = { x: event.clientX, y: event.clientY, id: event.pointerId };
      // A mouse drags a zoomed picture around; fingers scroll it natively.
      if (zoomed && event.pointerType === "mouse") {
        panning = { x: event.clientX, y: event.clientY, left: canvas.scrollLeft, top: canvas.scrollTop };
      }
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!panning || !start || event.pointerId !== start.id) return;
      canvas.scrollLeft = panning.left - (event.clientX - panning.x);
      canvas.scrollTop = panning.top - (event.clientY - panning.y);
    });
    canvas.addEventListener("pointercancel", () => {
      start = null;
      panning = null;
    });
    canvas.addEventListener("pointerup", (event) => {
      if (!start || event.pointerId !== start.id) return;
      const dx = event.clientX - start.x;
      const dy = event.clientY - start.y;
      start = null;
      panning = null;
      if (!zoomed && Math.abs(dx) > SWIPE_PX && Math.abs(dx) > 1.5 * Math.abs(dy)) {
        lastTap = null;
        follow(dx < 0 ? "next" : "previous");
        return;
      }
      if (Math.abs(dx) > TAP_SLOP_PX || Math.abs(dy) > TAP_SLOP_PX) return;
      const now = event.timeStamp;
      if (
        lastTap && now - lastTap.at < DOUBLE_TAP_MS &&
        Math.abs(event.clientX - lastTap.x) < 3 * TAP_SLOP_PX &&
        Math.abs(event.clientY - lastTap.y) < 3 * TAP_SLOP_PX
      ) {
        lastTap = null;
        setZoom(!zoomed, event.clientX, event.clientY);
      } else {
        lastTap = { at: now, x: event.clientX, y: event.clientY };
      }
    });
  }

  // Everything that belongs to the photo shown; run again after each switch in place.
  function setUp() {
    zoomed = false;
    shownAt = location.pathname + location.search;
    const current = viewer();
    for (const name of ["previous", "next"]) {
      const link = control(name);
      if (!link) continue;
      link.addEventListener("click", (event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        show(link.href, true, link.dataset.preview);
      });
    }
    control("close").addEventListener("click", (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      close();
    });
    // Scrolled to rather than followed: a #fragment entry would count as one more photo back.
    control("info").addEventListener("click", (event) => {
      event.preventDefault();
      document.getElementById("photo-info").scrollIntoView({ behavior: "smooth", block: "start" });
    });
    const zoom = control("zoom");
    const image = current.querySelector(".viewer__image");
    if (zoom && image) {
      zoom.hidden = false;
      zoom.addEventListener("click", () => setZoom(!zoomed));
    }
    setUpLabels();
    setUpGestures();

    // The neighbours' previews and pages, once this photo's own preview is in.
    const ahead = () => {
      if (!current.isConnected) return;
      for (const name of ["next", "previous"]) {
        const link = control(name);
        if (!link) continue;
        if (link.dataset.preview) new Image().src = link.dataset.preview;
        fetchPage(link.href).catch(() => undefined);
      }
    };
    if (!image || image.complete) ahead();
    else {
      image.addEventListener("load", ahead, { once: true });
      image.addEventListener("error", ahead, { once: true });
    }
    for (const url of pages.keys()) {
      const kept = ["next", "previous"].some((name) => control(name) && control(name).href === url);
      if (!kept) pages.delete(url);
    }
  }

  if (!viewer()) return;
  // The entry this document was loaded into: how many photos deep it is, and the grid page the
  // person came from, which closing returns to through history when it is the photo's page.
  if (!history.state || !history.state.viewer) {
    const from = document.referrer ? new URL(document.referrer) : null;
    // A photo's page is never a grid: the owner's /photos/<id>/, a share's .../photos/<id>/.
    const grid = from && from.origin === location.origin && !from.pathname.includes("/photos/") ? from.href : null;
    history.replaceState({ viewer: true, depth: 0, grid }, "");
  }
  window.addEventListener("popstate", (event) => {
    if (!event.state || !event.state.viewer) return;
    if (location.pathname + location.search === shownAt) return; // only the #fragment moved
    show(location.href, false);
  });
  // One listener for the forms of whichever photo is shown (they are swapped with #photo-info).
  document.addEventListener("submit", (event) => {
    const form = event.target.closest && event.target.closest("form[data-labels-form]");
    if (!form) return;
    event.preventDefault();
    correctLabels(form);
  });
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.target.closest && event.target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.key === "ArrowLeft") follow("previous");
    else if (event.key === "ArrowRight") follow("next");
    else if (event.key === "Escape") {
      if (zoomed) setZoom(false);
      else close();
    } else return;
    event.preventDefault();
  });
  // A pinch zooms the page natively; past a small scale the original replaces the preview.
  if (window.visualViewport) {
    window.visualViewport.addEventListener("resize", () => {
      const image = viewer().querySelector(".viewer__image");
      if (image && window.visualViewport.scale > 1.2) sharpen(image);
    });
  }
  setUp();
})();
