// The album page's live status: photo cards that only move forward, and the album's counts.
//
// The server numbers every change in the album. The page keeps the cursor of the last change it
// has seen and asks for what came after it (`changes?since=<cursor>&wait=20`); the server holds
// the request until something changes, so an idle album costs one request every 20 s, news
// arrives at once, and the request stays the same size however many photos are pending (the old
// `?ids=` list outgrew the request line at about 110 photos).
//
// Answers can be older than what the page knows: the page marks a card Processing itself when its
// upload finishes, and a change read a moment before still says Uploading. So a card is replaced
// only by one of the same or a higher rank (0 uploading, 1 processing, 2 upload interrupted,
// 3 done, rejected or failed), and the status never goes backwards.
//
// Other scripts (uploader.js) use `window.Photoshare.gallery`: add, markProcessing,
// markUploadFailed, markUploading, wake, watch.
"use strict";

window.Photoshare = window.Photoshare || {};

window.Photoshare.gallery = (function () {
  const uploader = document.getElementById("uploader");
  const grid = document.getElementById("photo-grid");
  if (!uploader || !grid) return null;

  const WAIT_SECONDS = 20;
  // Beyond the server's hold: a request that has not answered by then is a dead connection.
  const REQUEST_TIMEOUT_MS = (WAIT_SECONDS + 20) * 1000;
  const MAX_BACKOFF_MS = 30_000;
  const RANK = { UPLOADING: 0, PROCESSING: 1, INTERRUPTED: 2, FINAL: 3 };

  const changesUrl = uploader.dataset.changesUrl;
  let cursor = Number(uploader.dataset.cursor || 0);
  let pending = initialPending();
  let polling = false;
  let uploaderBusy = () => false;

  // Card updates wait for an animation frame at most four times a second, so that a burst (100
  // tickets, 200 changes, uploads finishing) costs one layout of a grid that may hold thousands
  // of cards; the map keeps one update per photo, in arrival order.
  const FLUSH_MS = 250;
  const updates = new Map();
  let marks = []; // [photoId, change] in order: "uploading again" then "processing" must both apply
  let frameQueued = false;
  let lastFlush = 0;
  // Photos whose upload this page is making or has finished: an "upload interrupted" about them
  // was read before the page (re)sent the file, and is stale.
  const sentHere = new Set();

  const counters = countElements();

  // Cards ----------------------------------------------------------------------------------------

  function rankOf(card) {
    return Number(card.dataset.rank) || RANK.UPLOADING;
  }

  function cardFrom(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function cardFor(photoId) {
    return document.getElementById("photo-" + photoId);
  }

  function queueUpdate(photoId, html, rank, isOurs) {
    const earlier = updates.get(photoId);
    if (earlier) {
      earlier.isOurs = earlier.isOurs || isOurs;
      if (rank >= earlier.rank) Object.assign(earlier, { html, rank });
    } else {
      updates.set(photoId, { html, rank, isOurs });
    }
    scheduleFrame();
  }

  function scheduleFrame() {
    if (frameQueued) return;
    frameQueued = true;
    const wait = Math.max(0, lastFlush + FLUSH_MS - performance.now());
    setTimeout(() => requestAnimationFrame(flush), wait);
  }

  function flush() {
    frameQueued = false;
    lastFlush = performance.now();
    const added = [];
    for (const [photoId, update] of updates) {
      if (update.rank === RANK.INTERRUPTED && !update.isOurs && sentHere.has(photoId)) continue;
      const card = cardFor(photoId);
      if (card) {
        // The page's own tickets always win: a resumed upload starts again at Uploading.
        if (update.isOurs || update.rank >= rankOf(card)) card.replaceWith(withRank(update));
      } else if (update.isOurs) {
        added.push(withRank(update));
      }
      // Otherwise a photo this page does not show (an older one on a later page): left alone.
    }
    updates.clear();
    if (added.length) prependNewestFirst(added);
    for (const [photoId, change] of marks) {
      const card = cardFor(photoId);
      if (card) change(card);
    }
    marks = [];
  }

  function withRank(update) {
    const card = cardFrom(update.html);
    card.dataset.rank = String(update.rank);
    return card;
  }

  // Tickets arrive oldest first and the gallery shows the newest first, as the server orders it.
  function prependNewestFirst(cards) {
    const fragment = document.createDocumentFragment();
    for (let i = cards.length - 1; i >= 0; i--) fragment.append(cards[i]);
    grid.prepend(fragment);
    const empty = document.getElementById("empty-gallery");
    if (empty) empty.remove();
  }

  // What the page knows before the server does: the card shows it at once, with its rank.
  function showLocally(card, rank, modifier, label) {
    card.dataset.rank = String(rank);
    card.dataset.final = "false";
    card.className = card.className.replace(/\bphoto-card--[a-z]+\b/g, "").trim();
    card.classList.add("photo-card--" + modifier);
    const status = card.querySelector(".status");
    if (status) {
      status.className = "status status--" + modifier;
      status.textContent = label;
    }
  }

  function mark(photoId, change) {
    marks.push([photoId, change]);
    scheduleFrame();
  }

  // Counts ---------------------------------------------------------------------------------------

  // `<span data-count="photos">`, optional `data-count-group="rejected"` (hidden at zero) and
  // `data-count-label="photos" data-one="" data-many="s"` for the plural ending.
  function countElements() {
    const found = {};
    for (const element of document.querySelectorAll("[data-count], [data-count-group], [data-count-label]")) {
      const name = element.dataset.count || element.dataset.countGroup || element.dataset.countLabel;
      (found[name] = found[name] || []).push(element);
    }
    return found;
  }

  function showCounts(counts) {
    for (const [name, value] of Object.entries(counts || {})) {
      for (const element of counters[name] || []) {
        if (element.dataset.count !== undefined) setText(element, String(value));
        else if (element.dataset.countGroup !== undefined) element.hidden = value === 0;
        else setText(element, value === 1 ? element.dataset.one : element.dataset.many);
      }
    }
  }

  function setText(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  // Long polling ---------------------------------------------------------------------------------

  // Until the first answer, the page's own cards and the rendered count of processing photos say
  // whether anything may still change.
  function initialPending() {
    const processing = document.querySelector('[data-count="processing"]');
    if (processing && Number(processing.textContent) > 0) return Number(processing.textContent);
    return grid.querySelector('.photo-card[data-final="false"]') ? 1 : 0;
  }

  function shouldPoll() {
    return pending > 0 || uploaderBusy();
  }

  class PollError extends Error {
    constructor(message, retryable) {
      super(message);
      this.retryable = retryable;
    }
  }

  async function fetchChanges(waitSeconds) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const url = changesUrl + "?since=" + encodeURIComponent(cursor) + "&wait=" + waitSeconds;
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller.signal,
      });
      // A redirect is the login page: the session ended, asking again will not help.
      if (response.redirected) throw new PollError("signed out", false);
      if (!response.ok) {
        const retryable = response.status >= 500 || response.status === 429;
        throw new PollError("changes answered " + response.status, retryable);
      }
      return await response.json();
    } catch (error) {
      if (error instanceof PollError) throw error;
      throw new PollError(error.message, true); // the network, a timeout, or a cut-off answer
    } finally {
      clearTimeout(timer);
    }
  }

  function apply(body) {
    if (typeof body.cursor === "number" && body.cursor > cursor) cursor = body.cursor;
    if (typeof body.pending === "number") pending = body.pending;
    showCounts(body.counts);
    for (const photo of body.photos || []) queueUpdate(photo.id, photo.html, Number(photo.rank), false);
  }

  async function pollLoop() {
    if (polling || !changesUrl) return;
    polling = true;
    let failures = 0;
    let more = false;
    try {
      while (more || shouldPoll()) {
        let body;
        try {
          body = await fetchChanges(more ? 0 : WAIT_SECONDS);
        } catch (error) {
          if (!error.retryable) return;
          failures += 1;
          await sleep(Math.min(1000 * 2 ** (failures - 1), MAX_BACKOFF_MS));
          continue;
        }
        failures = 0;
        apply(body);
        more = body.more === true;
      }
    } finally {
      polling = false;
    }
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  pollLoop();

  return {
    // A card for a photo this page is uploading: placed (or replacing its old card) whatever its rank.
    add(html) {
      const card = cardFrom(html);
      if (!card) return;
      sentHere.add(card.dataset.photoId);
      queueUpdate(card.dataset.photoId, html, RANK.UPLOADING, true);
    },
    // The upload finished (204): the photo is being processed, whatever a late answer says.
    markProcessing(photoId) {
      sentHere.add(photoId);
      mark(photoId, (card) => {
        if (rankOf(card) < RANK.PROCESSING) showLocally(card, RANK.PROCESSING, "processing", "Processing");
      });
    },
    markUploadFailed(photoId) {
      sentHere.delete(photoId);
      mark(photoId, (card) => {
        if (rankOf(card) < RANK.INTERRUPTED) showLocally(card, RANK.INTERRUPTED, "failed", "Upload failed");
      });
    },
    // The person asked to try again: the card says Uploading again.
    markUploading(photoId) {
      sentHere.add(photoId);
      mark(photoId, (card) => {
        if (rankOf(card) !== RANK.FINAL) showLocally(card, RANK.UPLOADING, "uploading", "Uploading");
      });
    },
    // Start asking again (uploads began); harmless when already asking.
    wake() {
      pollLoop();
    },
    // Keep asking while this says there is work, even when the server has nothing pending yet.
    watch(isBusy) {
      uploaderBusy = isBusy;
    },
  };
})();
