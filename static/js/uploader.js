// The album page's uploader, built for a camera roll of thousands of photos.
//
// Every file goes through the same stages, each with its own limit:
//   1. inspect: its type from its first bytes and its SHA-256 (upload-files.js), two files at a
//      time and at most HASH_AHEAD files ahead of the uploads, so that tickets can be asked for
//      while earlier files are still being sent;
//   2. ticket: Django hands out presigned POSTs in batches of up to 100 files, asked for when
//      fewer than READY_LOW_WATER tickets are left: never one request per file, never one
//      request for all of them (tickets expire after 15 minutes);
//   3. upload: straight to storage, at most four at a time.
// A file the album already has (same SHA-256), or one chosen twice, is skipped and counted.
// Network errors and 5xx answers are retried with backoff; what still fails gets a row with its
// reason and a Retry button. The counters behind the summary are kept as files change stage, so
// nothing scans the list of files.
"use strict";

(function () {
  const uploader = document.getElementById("uploader");
  const { gallery, files, UploadPanel } = window.Photoshare || {};
  if (!uploader || !gallery || !files || !UploadPanel) return;

  const CONCURRENT_UPLOADS = 4;
  const CONCURRENT_READS = 2;
  const TICKET_BATCH = 100;
  const HASH_AHEAD = 2 * TICKET_BATCH;
  const READY_LOW_WATER = 2 * CONCURRENT_UPLOADS;
  // The first batch need not wait for 100 hashes: a few files, or a few big ones, start uploads.
  const MIN_BATCH_FILES = 16;
  const MIN_BATCH_BYTES = 32e6;
  const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000]; // five tries in all
  // Tickets last 15 minutes; one older than this when its turn comes is asked for again.
  const TICKET_FRESH_MS = 12 * 60 * 1000;

  const input = uploader.querySelector("input[type=file]");
  const dropzone = uploader.querySelector(".dropzone");
  const ticketUrl = uploader.dataset.ticketUrl;
  const maxBytes = Number(uploader.dataset.maxBytes);

  // A FIFO whose shift is O(1), for queues of thousands of files.
  class Queue {
    constructor() {
      this.items = [];
      this.head = 0;
    }
    get length() {
      return this.items.length - this.head;
    }
    push(item) {
      this.items.push(item);
    }
    unshift(item) {
      if (this.head > 0) this.items[--this.head] = item;
      else this.items.unshift(item);
    }
    shift() {
      const item = this.items[this.head];
      this.items[this.head++] = undefined;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return item;
    }
  }

  class UploadError extends Error {
    constructor(message, { retryable = false, expired = false } = {}) {
      super(message);
      this.retryable = retryable;
      this.expired = expired;
    }
  }

  // Stages, and what is in each.
  const toInspect = new Queue();
  const inspected = new Queue(); // waiting for a ticket
  const ready = new Queue(); // ticket in hand
  const active = new Set(); // being sent
  const failures = new Set();
  let inspecting = 0;
  let ticketing = []; // the batch whose tickets are being asked for
  let inspectedBytes = 0;
  let retryingNow = 0;
  // One entry per content (SHA-256, or name, size and date without Web Crypto) this page has
  // taken: the same photo chosen twice is skipped.
  const seen = new Map();
  const stats = newStats();

  const panel = new UploadPanel(uploader.querySelector(".upload-summary"), {
    stats: currentStats,
    onRetry: retry,
    onRetryAll: () => Array.from(failures).filter((entry) => entry.canRetry).forEach(retry),
  });
  gallery.watch(isBusy);

  // Counters --------------------------------------------------------------------------------------

  function newStats(session = 0) {
    return {
      session, // which selection these numbers are about
      total: 0,
      totalBytes: 0,
      uploaded: 0,
      uploadedBytes: 0,
      duplicates: 0,
      duplicateBytes: 0,
      failed: 0,
      failedBytes: 0,
      retryable: 0,
    };
  }

  function currentStats() {
    let inFlight = 0;
    for (const entry of active) inFlight += entry.loaded; // four at most
    return {
      ...stats,
      busy: isBusy(),
      sentBytes: stats.uploadedBytes + inFlight,
      toSendBytes: stats.totalBytes - stats.duplicateBytes - stats.failedBytes,
      notice: retryingNow ? "Connection trouble: trying again…" : "",
    };
  }

  function isBusy() {
    return toInspect.length + inspecting + inspected.length + ticketing.length + ready.length + active.size > 0;
  }

  // A selection made while nothing is going on starts a new summary. Files that failed before and
  // can be retried stay in it (their rows and the counts agree); refusals were read already.
  function startSession() {
    Object.assign(stats, newStats(stats.session + 1));
    for (const entry of Array.from(failures)) {
      if (entry.canRetry) {
        count(entry, 1);
        countFailure(entry, 1);
      } else {
        failures.delete(entry);
        panel.removeFailure(entry);
      }
    }
    panel.resetSpeed();
  }

  function count(entry, sign) {
    stats.total += sign;
    stats.totalBytes += sign * entry.size;
  }

  function countFailure(entry, sign) {
    stats.failed += sign;
    stats.failedBytes += sign * entry.size;
    if (entry.canRetry) stats.retryable += sign;
  }

  // The scheduler ---------------------------------------------------------------------------------

  // Starts whatever the limits allow; called after every change of stage.
  function pump() {
    while (inspecting < CONCURRENT_READS && toInspect.length && inspectedAhead() < HASH_AHEAD) {
      inspect(toInspect.shift());
    }
    while (active.size < CONCURRENT_UPLOADS && ready.length) {
      const entry = ready.shift();
      if (Date.now() - entry.ticketedAt > TICKET_FRESH_MS) needsTicket(entry);
      else upload(entry);
    }
    askForTickets();
    guardUnload();
    panel.update();
  }

  function inspectedAhead() {
    return inspecting + inspected.length + ticketing.length + ready.length;
  }

  function addFiles(fileList) {
    const chosen = Array.from(fileList);
    if (!chosen.length) return;
    if (!isBusy()) startSession();
    for (const file of chosen) {
      const entry = { file, name: file.name, size: file.size, state: "waiting", loaded: 0 };
      count(entry, 1);
      toInspect.push(entry);
    }
    gallery.wake();
    pump();
  }

  // Stage 1: inspect ------------------------------------------------------------------------------

  async function inspect(entry) {
    inspecting += 1;
    entry.state = "inspecting";
    try {
      const found = await files.inspect(entry.file, maxBytes);
      if (found.refusal) fail(entry, found.refusal, false);
      else took(entry, found);
    } catch {
      fail(entry, "The file could not be read", true);
    } finally {
      inspecting -= 1;
      pump();
    }
  }

  function took(entry, { type, sha256 }) {
    entry.type = type;
    entry.sha256 = sha256;
    const key = sha256 || [entry.name, entry.size, entry.file.lastModified].join("|");
    const twin = seen.get(key);
    if (twin && twin.state !== "failed") return skip(entry);
    seen.set(key, entry);
    waitForTicket(entry);
  }

  function waitForTicket(entry, first = false) {
    entry.state = "inspected";
    if (first) inspected.unshift(entry);
    else inspected.push(entry);
    inspectedBytes += entry.size;
  }

  // Stage 2: tickets ------------------------------------------------------------------------------

  function askForTickets() {
    if (ticketing.length || !inspected.length || ready.length >= READY_LOW_WATER) return;
    const allInspected = toInspect.length === 0 && inspecting === 0;
    const enough =
      inspected.length >= MIN_BATCH_FILES || inspectedBytes >= MIN_BATCH_BYTES || allInspected;
    if (!enough) return;
    const batch = [];
    while (batch.length < TICKET_BATCH && inspected.length) batch.push(inspected.shift());
    for (const entry of batch) {
      inspectedBytes -= entry.size;
      entry.state = "ticketing";
    }
    requestTickets(batch);
  }

  async function requestTickets(batch) {
    ticketing = batch;
    try {
      const tickets = await retrying(() => postTicketRequest(batch));
      batch.forEach((entry, i) => takeTicket(entry, tickets[i]));
    } catch (error) {
      for (const entry of batch) fail(entry, error.message, true);
    } finally {
      ticketing = [];
      pump();
    }
  }

  async function postTicketRequest(batch) {
    const wanted = batch.map((entry) => {
      const file = { filename: entry.name, contentType: entry.type, size: entry.size };
      if (entry.sha256) file.sha256 = entry.sha256;
      return file;
    });
    let response;
    try {
      response = await fetch(ticketUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ files: wanted }),
      });
    } catch {
      throw new UploadError("The connection failed", { retryable: true });
    }
    return ticketsFrom(response, batch.length);
  }

  async function ticketsFrom(response, expected) {
    // Django's login page, after a redirect: the session is over.
    if (response.redirected) throw new UploadError("You were signed out: reload the page and sign in");
    const body = await response.json().catch(() => null);
    if (response.status >= 500 || response.status === 429) {
      throw new UploadError("The server is not answering (error " + response.status + ")", { retryable: true });
    }
    if (response.status === 403) throw new UploadError("The page has expired: reload it and try again");
    if (!response.ok) throw new UploadError((body && body.error) || "The server refused the upload");
    if (!body || !Array.isArray(body.tickets) || body.tickets.length !== expected) {
      throw new UploadError("The server's answer was not understood");
    }
    return body.tickets;
  }

  function takeTicket(entry, ticket) {
    if (ticket && ticket.photoId && ticket.upload) {
      entry.photoId = ticket.photoId;
      entry.ticket = ticket.upload;
      entry.ticketedAt = Date.now();
      entry.state = "ready";
      if (ticket.card) gallery.add(ticket.card);
      ready.push(entry);
    } else if (ticket && ticket.duplicateOf) {
      skip(entry);
    } else {
      fail(entry, (ticket && ticket.error) || "The server refused this file", true);
    }
  }

  function needsTicket(entry) {
    entry.ticket = null;
    waitForTicket(entry, true);
  }

  // Stage 3: upload -------------------------------------------------------------------------------

  async function upload(entry) {
    entry.state = "uploading";
    active.add(entry);
    try {
      await retrying(() => sendFile(entry));
      active.delete(entry);
      uploaded(entry);
    } catch (error) {
      active.delete(entry);
      // A ticket that expired while the file waited: one new ticket, then it counts as a failure.
      if (error.expired && !entry.renewed) {
        entry.renewed = true;
        needsTicket(entry);
      } else {
        fail(entry, error.message, true);
        gallery.markUploadFailed(entry.photoId);
      }
    } finally {
      entry.loaded = 0;
      pump();
    }
  }

  function sendFile(entry) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(entry.ticket.fields)) form.append(name, value);
      // Last, as S3 requires, typed by its content (an .MPO file says nothing useful).
      form.append("file", entry.file.slice(0, entry.size, entry.type), entry.name);
      const request = new XMLHttpRequest();
      request.open("POST", entry.ticket.url);
      request.upload.onprogress = (event) => {
        if (!event.lengthComputable) return;
        entry.loaded = Math.min(entry.size, Math.round((event.loaded / event.total) * entry.size));
        panel.update();
      };
      request.onload = () => {
        if (request.status >= 200 && request.status < 300) resolve();
        else reject(storageError(request));
      };
      request.onerror = () => reject(new UploadError("The connection failed", { retryable: true }));
      request.send(form);
    });
  }

  // Storage answers like S3: an XML <Error> with a Code and a Message.
  function storageError(request) {
    if (request.status === 0 || request.status >= 500) {
      return new UploadError("Storage is not answering (error " + request.status + ")", { retryable: true });
    }
    const xml = new DOMParser().parseFromString(request.responseText || "", "application/xml");
    const code = (xml.querySelector("Code") || {}).textContent || "";
    const message = (xml.querySelector("Message") || {}).textContent || "";
    if (/expired/i.test(message)) return new UploadError("The upload ticket expired", { expired: true });
    if (code === "EntityTooLarge") return new UploadError("Larger than storage accepts");
    return new UploadError("Storage refused the file" + (message ? ": " + message : ""));
  }

  function uploaded(entry) {
    entry.state = "uploaded";
    entry.file = null; // nothing more to read: let the browser let go of it
    stats.uploaded += 1;
    stats.uploadedBytes += entry.size;
    gallery.markProcessing(entry.photoId);
    gallery.wake();
  }

  // Retries, failures, duplicates -----------------------------------------------------------------

  async function retrying(attempt) {
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!error.retryable || tries > RETRY_DELAYS_MS.length) throw error;
        retryingNow += 1;
        panel.update();
        await sleep(RETRY_DELAYS_MS[tries - 1]);
        retryingNow -= 1;
      }
    }
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function skip(entry) {
    entry.state = "duplicate";
    entry.file = null;
    stats.duplicates += 1;
    stats.duplicateBytes += entry.size;
  }

  // canRetry is false when the file itself is the reason (not an image, empty, too big).
  function fail(entry, reason, canRetry) {
    entry.state = "failed";
    entry.reason = reason;
    entry.canRetry = canRetry;
    failures.add(entry);
    countFailure(entry, 1);
    panel.addFailure(entry);
  }

  function retry(entry) {
    if (entry.state !== "failed" || !entry.canRetry) return;
    failures.delete(entry);
    countFailure(entry, -1);
    panel.removeFailure(entry);
    entry.renewed = false;
    if (!entry.type) {
      entry.state = "waiting";
      toInspect.push(entry);
    } else if (entry.ticket && Date.now() - entry.ticketedAt <= TICKET_FRESH_MS) {
      entry.state = "ready";
      gallery.markUploading(entry.photoId);
      ready.push(entry);
    } else {
      waitForTicket(entry);
    }
    gallery.wake();
    pump();
  }

  // Leaving the page ------------------------------------------------------------------------------

  // Only while there is something to lose: a beforeunload listener also keeps the page out of the
  // back/forward cache.
  let guarding = false;

  function guardUnload() {
    const busy = isBusy();
    if (busy === guarding) return;
    guarding = busy;
    if (busy) window.addEventListener("beforeunload", warnBeforeLeaving);
    else window.removeEventListener("beforeunload", warnBeforeLeaving);
  }

  function warnBeforeLeaving(event) {
    event.preventDefault();
    event.returnValue = ""; // older browsers show the warning only when this is set
  }

  function csrfToken() {
    return (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  }

  // Choosing and dropping -------------------------------------------------------------------------

  function takeChosenFiles() {
    if (!input.files.length) return;
    addFiles(input.files);
    input.value = ""; // choosing the same files again must fire `change` again
  }
  input.addEventListener("change", takeChosenFiles);
  // Files chosen while this script was still loading (a slow connection) fired their `change`
  // before anyone listened: they are still in the input, so they go up now.
  takeChosenFiles();
  ["dragenter", "dragover"].forEach((name) =>
    dropzone.addEventListener(name, (event) => {
      event.preventDefault();
      dropzone.classList.add("dropzone--active");
    }),
  );
  ["dragleave", "drop"].forEach((name) =>
    dropzone.addEventListener(name, () => dropzone.classList.remove("dropzone--active")),
  );
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    addFiles(event.dataTransfer.files);
  });
  // A drop that misses the drop zone would open the file in this tab, ending the uploads.
  ["dragover", "drop"].forEach((name) =>
    window.addEventListener(name, (event) => {
      if (!dropzone.contains(event.target)) event.preventDefault();
    }),
  );
})();
