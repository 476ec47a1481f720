// The album page: uploads straight to storage with presigned POSTs, and live photo statuses.
//
// For each file the browser asks Django for a ticket (a presigned POST pinning the key, the type
// and the size), then POSTs the file itself to storage with a progress bar. Cards of photos not
// yet final are refreshed from one status endpoint until every one of them is final.
"use strict";

(function () {
  const uploader = document.getElementById("uploader");
  const grid = document.getElementById("photo-grid");
  if (!uploader || !grid) return;

  const input = uploader.querySelector("input[type=file]");
  const dropzone = uploader.querySelector(".dropzone");
  const list = uploader.querySelector(".upload-list");
  const maxBytes = Number(uploader.dataset.maxBytes);
  const accepted = { "image/jpeg": true, "image/png": true };
  const csrfToken = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  const WAIT_SECONDS = 20; // the server holds the request until something changes
  let cursor = Number(uploader.dataset.cursor || 0);
  let pending = grid.querySelectorAll('.photo-card[data-final="false"]').length;
  let polling = false;
  let askAgain = false; // something happened here while a request was out

  function megabytes(bytes) {
    return (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0) + " MB";
  }

  function uploadRow(file) {
    const row = document.createElement("li");
    row.className = "upload";
    row.innerHTML =
      '<span class="upload__name"></span><progress max="100" value="0"></progress>' +
      '<span class="upload__state">Waiting</span>';
    row.querySelector(".upload__name").textContent = file.name;
    list.prepend(row);
    return {
      progress(percent) {
        row.querySelector("progress").value = percent;
        row.querySelector(".upload__state").textContent = percent + "%";
      },
      finish(text, ok) {
        row.classList.add(ok ? "upload--done" : "upload--failed");
        row.querySelector(".upload__state").textContent = text;
        if (ok) setTimeout(() => row.remove(), 4000);
      },
    };
  }

  // Refused before anything is sent: the wrong type or too big.
  function refusal(file) {
    if (!accepted[file.type]) return "Not a JPEG or PNG image";
    if (file.size === 0) return "The file is empty";
    if (file.size > maxBytes) return "Larger than " + megabytes(maxBytes);
    return null;
  }

  async function requestTicket(file) {
    const response = await fetch(uploader.dataset.ticketUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify({ filename: file.name, contentType: file.type, size: file.size }),
      credentials: "same-origin",
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || "Could not start the upload");
    return body;
  }

  function postToStorage(ticket, file, row) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(ticket.upload.fields)) form.append(name, value);
      form.append("file", file); // last, as S3 requires
      const request = new XMLHttpRequest();
      request.open("POST", ticket.upload.url);
      request.upload.onprogress = (event) => {
        if (event.lengthComputable) row.progress(Math.round((event.loaded / event.total) * 100));
      };
      request.onload = () =>
        request.status >= 200 && request.status < 300
          ? resolve()
          : reject(new Error("Storage refused the upload (" + request.status + ")"));
      request.onerror = () => reject(new Error("The connection failed"));
      request.send(form);
    });
  }

  function placeCard(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const card = template.content.firstElementChild;
    const existing = document.getElementById(card.id);
    // Status only moves forward: a response that left the server before a newer one is ignored.
    if (existing && Number(existing.dataset.rank) > Number(card.dataset.rank)) return existing;
    if (existing) existing.replaceWith(card);
    else grid.prepend(card);
    const empty = document.getElementById("empty-gallery");
    if (empty) empty.remove();
    return card;
  }

  async function uploadOne(file) {
    const row = uploadRow(file);
    const refused = refusal(file);
    if (refused) {
      row.finish(refused, false);
      return;
    }
    let ticket;
    try {
      ticket = await requestTicket(file);
    } catch (error) {
      row.finish(error.message, false);
      return;
    }
    const card = placeCard(ticket.card);
    try {
      await postToStorage(ticket, file, row);
      row.finish("Uploaded", true);
      card.dataset.rank = "1";
      card.querySelector(".status").textContent = "Processing";
      schedulePoll();
    } catch (error) {
      row.finish(error.message, false);
      card.querySelector(".status").textContent = "Upload failed";
      card.classList.add("photo-card--failed");
      card.dataset.final = "true"; // nothing will arrive: stop asking about it
    }
  }

  async function uploadAll(files) {
    // Three at a time: enough to fill the connection without starving the progress bars.
    const queue = Array.from(files);
    const workers = Array.from({ length: Math.min(3, queue.length) }, async () => {
      while (queue.length) await uploadOne(queue.shift());
    });
    await Promise.all(workers);
  }

  function updateCounts(counts) {
    for (const [name, value] of Object.entries(counts)) {
      const count = document.querySelector('[data-count="' + name + '"]');
      if (count) count.textContent = value;
      const group = document.querySelector('[data-count-group="' + name + '"]');
      if (group) group.hidden = !value;
    }
  }

  // Long polling: "what changed after the change number I last saw?", held by the server until
  // something did. The request's size never depends on how many photos are waiting.
  async function poll() {
    let delay = 0;
    askAgain = false;
    try {
      const url = uploader.dataset.changesUrl + "?since=" + cursor + "&wait=" + WAIT_SECONDS;
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error("status " + response.status);
      const body = await response.json();
      cursor = body.cursor;
      pending = body.pending;
      for (const photo of body.photos) {
        if (document.getElementById("photo-" + photo.id)) placeCard(photo.html);
      }
      updateCounts(body.counts);
      if (!body.more && !pending && !askAgain) {
        polling = false;
        return; // everything is final: stop asking
      }
    } catch (error) {
      delay = 3000; // the server is restarting or the network dropped: try again shortly
    }
    setTimeout(poll, delay);
  }

  function schedulePoll() {
    askAgain = true;
    if (polling) return;
    polling = true;
    poll();
  }

  input.addEventListener("change", () => {
    uploadAll(input.files);
    input.value = "";
  });
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
    uploadAll(event.dataTransfer.files);
  });

  if (pending) schedulePoll();
})();
