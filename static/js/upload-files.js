// What a chosen file is, decided before anything is sent: its type from its first bytes and its
// SHA-256 (for skipping photos the album already has).
//
// The type comes from the content, never from the name or `file.type`: phones save stereo photos
// as .MPO files that are JPEGs inside, browsers do not all know HEIC's type, and a text file
// renamed .jpg is not a photo. The accepted kinds are processing.formats.SUPPORTED_FORMATS. The server
// checks again after the upload; refusing here saves sending the file at all.
"use strict";

window.Photoshare = window.Photoshare || {};

window.Photoshare.files = (function () {
  const JPEG = [0xff, 0xd8, 0xff];
  const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  // Enough for an ftyp box's compatible brands (a HEIC or AVIF may name itself only there).
  const SNIFF_BYTES = 64;
  const HEIC_BRANDS = ["heic", "heix", "heim", "heis", "hevc", "hevx"];
  const HEIF_BRANDS = ["mif1", "msf1"];
  const AVIF_BRANDS = ["avif", "avis"];
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

  // The ftyp box's brands, major first: ["heic", "mif1", "heic"].
  function brands(head) {
    if (ascii(head, 4, 8) !== "ftyp") return [];
    const size = Math.min(head.length, (head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]);
    const found = [ascii(head, 8, 12)];
    for (let i = 16; i + 4 <= size; i += 4) found.push(ascii(head, i, i + 4));
    return found;
  }

  // As processing.formats.sniff_format: an AVIF always names "avif", a HEIC never does.
  function isoType(head) {
    const all = brands(head);
    if (all.some((b) => AVIF_BRANDS.includes(b))) return "image/avif";
    if (all.some((b) => HEIC_BRANDS.includes(b))) return "image/heic";
    if (all.some((b) => HEIF_BRANDS.includes(b))) return "image/heif";
    return null;
  }

  function contentType(head) {
    if (startsWith(head, JPEG)) return "image/jpeg";
    if (startsWith(head, PNG)) return "image/png";
    if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP") return "image/webp";
    return isoType(head);
  }

  // Control characters other than white space mean a binary file; anything else reads as text
  // (bytes from 0x80 up are allowed: UTF-8).
  function looksLikeText(head) {
    return head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f));
  }

  // The kinds a camera roll or a downloads folder commonly holds, named the way people say them.
  function otherKind(head) {
    if (ascii(head, 0, 4) === "GIF8") return "it is a GIF file";
    if (brands(head).length) return "it is a video";
    if (ascii(head, 0, 4) === "%PDF") return "it is a PDF document";
    if (ascii(head, 0, 4) === "II*\0" || ascii(head, 0, 4) === "MM\0*") return "it is a TIFF file";
    if (ascii(head, 0, 2) === "BM") return "it is a BMP file";
    if (looksLikeText(head)) return "it looks like text";
    return "";
  }

  function notAnImage(head) {
    const kind = otherKind(head);
    return "Not a JPEG, PNG, WebP, HEIC or AVIF image" + (kind ? " (" + kind + ")" : "");
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

  // {type, sha256} for an image we take (sha256 null without Web Crypto), or {refusal} in plain
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
