// The upload summary: one panel for a whole selection (files done of N, bytes, speed, time left,
// duplicates skipped, failures) and one row per failed file, with its reason and a Retry button.
//
// Successful files get no row: with a camera roll of 2,000 photos a row each would be a page of
// noise and thousands of DOM updates. The panel redraws at most a few times a second, in an
// animation frame, from numbers the uploader keeps up to date; it never scans the files.
"use strict";

window.Photoshare = window.Photoshare || {};

window.Photoshare.UploadPanel = (function () {
  const REDRAW_MS = 250;
  const SPEED_SAMPLE_MS = 1000;
  // A screen reader hears the start, the end, and progress no more often than this.
  const ANNOUNCE_MS = 30_000;
  const { formatBytes } = window.Photoshare.files;

  function plural(count, one, many) {
    return count + " " + (count === 1 ? one : many);
  }

  function duration(seconds) {
    if (seconds < 10) return "a few seconds";
    if (seconds < 90) return Math.round(seconds / 5) * 5 + " s";
    if (seconds < 90 * 60) return Math.round(seconds / 60) + " min";
    return (seconds / 3600).toFixed(1) + " h";
  }

  function setText(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  class UploadPanel {
    // `stats()` returns the uploader's counters; `onRetry(entry)` and `onRetryAll()` are called
    // from the buttons.
    constructor(root, { stats, onRetry, onRetryAll }) {
      this.root = root;
      this.stats = stats;
      this.title = root.querySelector(".upload-summary__title");
      this.bar = root.querySelector("progress");
      this.retryAll = root.querySelector('[data-action="retry-all"]');
      this.list = root.querySelector(".upload-failures");
      this.fields = {};
      for (const element of root.querySelectorAll("[data-stat]")) this.fields[element.dataset.stat] = element;
      this.rows = new Map(); // row element -> entry
      this.unplacedRows = new Set();
      this.redrawQueued = false;
      this.lastRedraw = 0;
      this.resetSpeed();
      this.wasBusy = false;
      this.session = 0;
      this.lastAnnounced = { at: 0, text: "" };

      this.list.addEventListener("click", (event) => {
        const row = event.target.closest("button") && event.target.closest(".upload");
        if (row && this.rows.has(row)) onRetry(this.rows.get(row));
      });
      this.retryAll.addEventListener("click", () => onRetryAll());
    }

    resetSpeed() {
      this.speed = null;
      this.sample = null;
    }

    // Called on every change; coalesced into one redraw per REDRAW_MS, in an animation frame.
    update() {
      if (this.redrawQueued) return;
      this.redrawQueued = true;
      const wait = Math.max(0, this.lastRedraw + REDRAW_MS - performance.now());
      setTimeout(() => requestAnimationFrame(() => this.redraw()), wait);
    }

    addFailure(entry) {
      const row = document.createElement("li");
      row.className = "upload upload--failed";
      const name = document.createElement("span");
      name.className = "upload__name";
      name.textContent = entry.name;
      name.title = entry.name;
      const reason = document.createElement("span");
      reason.className = "upload__state";
      reason.textContent = entry.reason;
      row.append(name, reason);
      if (entry.canRetry) {
        const retry = document.createElement("button");
        retry.type = "button";
        retry.className = "btn btn--small";
        retry.textContent = "Retry";
        retry.setAttribute("aria-label", "Retry " + entry.name);
        row.append(retry);
      }
      entry.row = row;
      this.rows.set(row, entry);
      this.unplacedRows.add(row);
      this.update();
    }

    removeFailure(entry) {
      if (!entry.row) return;
      this.rows.delete(entry.row);
      this.unplacedRows.delete(entry.row);
      entry.row.remove();
      entry.row = null;
      this.update();
    }

    redraw() {
      this.redrawQueued = false;
      this.lastRedraw = performance.now();
      const s = this.stats();
      this.root.hidden = s.total === 0;
      this.placeRows();
      this.measureSpeed(s);
      this.drawNumbers(s);
      this.announce(s);
      this.wasBusy = s.busy;
      this.session = s.session;
    }

    placeRows() {
      if (!this.unplacedRows.size) return;
      const fragment = document.createDocumentFragment();
      for (const row of this.unplacedRows) fragment.append(row);
      this.unplacedRows.clear();
      this.list.append(fragment);
    }

    // A moving average over samples a second or more apart: steady enough to read, quick enough
    // to follow a connection that changes.
    measureSpeed(s) {
      const now = performance.now();
      if (!s.busy) return this.resetSpeed();
      if (!this.sample) {
        this.sample = { at: now, sent: s.sentBytes };
        return;
      }
      const elapsed = now - this.sample.at;
      if (elapsed < SPEED_SAMPLE_MS) return;
      const current = Math.max(0, s.sentBytes - this.sample.sent) / (elapsed / 1000);
      this.speed = this.speed === null ? current : 0.7 * this.speed + 0.3 * current;
      this.sample = { at: now, sent: s.sentBytes };
    }

    drawNumbers(s) {
      const done = s.uploaded + s.duplicates + s.failed;
      const f = this.fields;
      setText(this.title, s.busy ? "Uploading " + plural(s.total, "file", "files") : "Upload finished");
      setText(f.files, done + " of " + plural(s.total, "file", "files") + " done");
      setText(f.bytes, formatBytes(s.sentBytes) + " of " + formatBytes(s.toSendBytes) + " sent");
      const measured = s.busy && this.speed !== null;
      f.speed.hidden = !measured;
      f.eta.hidden = !measured || this.speed === 0;
      if (measured) {
        setText(f.speed, formatBytes(Math.round(this.speed)) + "/s");
        if (this.speed > 0) setText(f.eta, "about " + duration((s.toSendBytes - s.sentBytes) / this.speed) + " left");
      }
      setText(f.uploaded, s.uploaded + " uploaded");
      f.duplicates.hidden = s.duplicates === 0;
      setText(f.duplicates, plural(s.duplicates, "skipped as a duplicate", "skipped as duplicates"));
      f.failed.hidden = s.failed === 0;
      setText(f.failed, s.failed + " failed");
      f.notice.hidden = !s.notice;
      setText(f.notice, s.notice);
      this.retryAll.hidden = s.retryable < 2;
      // All bytes sent fills the bar; a selection of nothing but duplicates fills it when done.
      this.bar.max = Math.max(1, s.toSendBytes);
      this.bar.value = s.toSendBytes ? s.sentBytes : s.busy ? 0 : 1;
    }

    announce(s) {
      const now = performance.now();
      const done = s.uploaded + s.duplicates + s.failed;
      // A selection small enough to finish between two redraws is never seen busy: it is new, and
      // its end is announced all the same.
      const started = s.session !== this.session || (s.busy && !this.wasBusy);
      let text = null;
      if (started && s.busy) text = "Uploading " + plural(s.total, "file", "files");
      else if (!s.busy && (this.wasBusy || started)) text = this.finishedText(s);
      else if (s.busy && now - this.lastAnnounced.at >= ANNOUNCE_MS) text = done + " of " + s.total + " files done";
      if (text === null || text === this.lastAnnounced.text) return;
      this.lastAnnounced = { at: now, text };
      setText(this.fields.announce, text);
    }

    finishedText(s) {
      const parts = [s.uploaded + " uploaded"];
      if (s.duplicates) parts.push(plural(s.duplicates, "skipped as a duplicate", "skipped as duplicates"));
      if (s.failed) parts.push(s.failed + " failed");
      return "Upload finished: " + parts.join(", ");
    }
  }

  return UploadPanel;
})();
