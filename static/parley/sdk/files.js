/**
 * Room files through the room's file API, authenticated with the room token
 * (`Authorization: Bearer <room token>`; docs/api.md "Files").
 *
 *   const files = new RoomFiles(room);                // base: the page's origin, or {base}
 *   await files.list();                               // [{filename, originalName, size, uploadDate}]
 *   const file = await files.upload(blobOrFile, name); // then everyone else gets "file-shared"
 *   const blob = await files.download(file.filename);
 *   files.on("shared", (frame) => …);                 // someone uploaded: list again
 */
import { Emitter } from "./emitter.js";

export class FileError extends Error {
  constructor(status, body) {
    super(body?.detail || body?.error || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || body?.error;
  }
}

export class RoomFiles extends Emitter {
  constructor(room, { base = "" } = {}) {
    super();
    this.room = room;
    this.base = `${base}/room/${encodeURIComponent(room.roomId)}`;
    room.on("file-shared", (frame) => this.emit("shared", frame));
  }

  async #fetch(path, init = {}) {
    const response = await fetch(`${this.base}${path}`, {
      ...init, credentials: "omit", headers: { ...(init.headers || {}), Authorization: `Bearer ${this.room.token}` },
    });
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch { /* not JSON */ }
      throw new FileError(response.status, body);
    }
    return response;
  }

  async list() {
    const body = await (await this.#fetch("/files")).json();
    return body.data || [];
  }

  /** Upload a File or Blob (as `name`); the others in the room are told with `file-shared`. */
  async upload(blob, name = blob.name || "file") {
    const form = new FormData();
    form.append("file", blob, name);
    const body = await (await this.#fetch("/upload", { method: "POST", body: form })).json();
    const file = body.data;
    this.room.sendData({ type: "file-shared", filename: file.filename, name: file.originalName });
    return file;
  }

  async download(filename) {
    return (await this.#fetch(`/files/${encodeURIComponent(filename)}/download`)).blob();
  }
}
