// What a chosen file is, decided before anything is sent: its type from its first bytes and its
// SHA-256 (for skipping photos the album already has).
//
// The type comes from the content, never from the name or `file.type`: phones save stereo photos
// as .MPO files that are JPEGs inside, and a text file renamed .jpg is not a photo. The server
// checks again after the upload; refusing here saves sending the file at all.
"use strict";

window.Photoshare = window.Photoshare || {};

window.Photoshare.files = (function () {
  const JPEG = [0xff, 0xd8, 0xff];
  const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const SNIFF_BYTES = 16;
  // Web Crypto exists only in secure contexts (https, localhost). On plain http to a LAN address
  // it does not: the files then go without a hash, and the server accepts them.
  const subtle = window.isSecureContext && window.crypto ? window.crypto.subtle || null : null;

  function startsWith(bytes, signature, offset = 0) {
    if (bytes.length < offset + signature.length) return false;
    return signature.every((value, i) => bytes[offset + i] === value);
  }

  function ascii(bytes, start, end) {
    return String.fromCharCode(...bytes.subarray(start, end));
  }

  function contentType(head) {
    if (startsWith(head, JPEG)) return "image/jpeg";
    if (startsWith(head, PNG)) return "image/png";
    return null;
  }

  // Control characters other than white space mean a binary file; anything else reads as text
  // (bytes from 0x80 up are allowed: UTF-8).
  function looksLikeText(head) {
    return head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f));
  }

  // The kinds a camera roll or a downloads folder commonly holds, named the way people say them.
  function otherKind(head) {
    const brand = ascii(head, 4, 8) === "ftyp" ? ascii(head, 8, 12) : "";
    if (ascii(head, 0, 4) === "GIF8") return "it is a GIF file";
    if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP") return "it is a WebP file";
    if (/^(heic|heix|heim|heis|hevc|hevx|mif1|msf1)$/.test(brand)) return "it is a HEIC file";
    if (/^avi[fs]$/.test(brand)) return "it is an AVIF file";
    if (brand) return "it is a video";
    if (ascii(head, 0, 4) === "%PDF") return "it is a PDF document";
    if (ascii(head, 0, 4) === "II*\0" || ascii(head, 0, 4) === "MM\0*") return "it is a TIFF file";
    if (ascii(head, 0, 2) === "BM") return "it is a BMP file";
    if (looksLikeText(head)) return "it looks like text";
    return "";
  }

  function notAnImage(head) {
    const kind = otherKind(head);
    return "Not a JPEG or PNG image" + (kind ? " (" + kind + ")" : "");
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function formatBytes(bytes) {
    if (bytes < 1000) return bytes + " bytes";
    if (bytes < 1e6) return Math.round(bytes / 1000) + " kB";
    if (bytes < 1e9) return (bytes / 1e6).toFixed(bytes < 1e8 ? 1 : 0) + " MB";
    return (bytes / 1e9).toFixed(1) + " GB";
  }

  // {type, sha256} for a JPEG or PNG (sha256 null without Web Crypto), or {refusal} in plain
  // words. Throws when the file cannot be read (it was moved, or is a folder).
  async function inspect(file, maxBytes) {
    if (file.size === 0) return { refusal: "The file is empty" };
    if (file.size > maxBytes) return { refusal: "Larger than " + formatBytes(maxBytes) };
    // The first bytes alone first: a video renamed .jpg is refused without reading all of it.
    const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
    const type = contentType(head);
    if (!type) return { refusal: notAnImage(head) };
    const sha256 = subtle ? hex(await subtle.digest("SHA-256", await file.arrayBuffer())) : null;
    return { type, sha256 };
  }

  return { inspect, formatBytes, hashing: subtle !== null };
})();
