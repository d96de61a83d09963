/**
 * The room page's media-plane feature: who is speaking, the speaker-large layout, which
 * simulcast layer each remote camera gets, and what the page says about the media path
 * (mesh or media server, a lost media server, where a media server would help).
 *
 * Speaking comes from the media server's audio levels (`room.on("participant-speaking")`) — on the mesh
 * there is no server to measure them, so the indicator stays off there.
 */
import { $, toast } from "./dom.js";

// With more remote cameras than this, the small tiles get the low simulcast layer.
const FULL_QUALITY_TILES = 4;

export function mount({ room, config }) {
  const tiles = $("[data-tiles]");
  const status = $("[data-status]");
  const cameras = new Map(); // participant id -> RemoteStream (camera)
  let speaker = null;
  let advised = false;

  const tileOf = (id) => tiles.querySelector(`figure.tile[data-participant="${CSS.escape(String(id))}"][data-kind="camera"]`);

  function setSpeaker(id) {
    const changed = speaker !== id;
    speaker = id;
    // Tiles come and go (and a speaker may be heard before their tile exists): apply every time.
    for (const tile of tiles.querySelectorAll("figure.tile.active-speaker")) {
      if (tile.dataset.participant !== speaker) tile.classList.remove("active-speaker");
    }
    const tile = id && tileOf(id);
    tile?.classList.add("active-speaker");
    tiles.dataset.layout = tile && tiles.children.length > 2 ? "speaker" : "grid";
    if (changed) chooseLayers();
  }

  function chooseLayers() {
    if (room.media.path !== "sfu") return;
    const crowded = cameras.size > FULL_QUALITY_TILES;
    for (const [id, remote] of cameras) room.setVideoLayer(remote, !crowded || id === speaker ? "high" : "low");
  }

  // The last one who spoke keeps the large tile until someone else speaks; you never get
  // the large tile on your own screen.
  room.on("participant-speaking", ({ participantId, speaking }) => {
    tileOf(participantId)?.classList.toggle("speaking", speaking);
    if (speaking && participantId !== String(room.me?.id)) setSpeaker(participantId);
  });

  room.on("stream-added", (remote) => {
    if (remote.kind !== "camera") return;
    cameras.set(remote.participantId, remote);
    chooseLayers();
    if (speaker) setSpeaker(speaker);
    else speakingFromRoster();
  });
  room.on("stream-removed", (remote) => {
    if (cameras.get(remote.participantId) === remote) cameras.delete(remote.participantId);
    chooseLayers();
  });
  room.on("participant-left", (p) => {
    cameras.delete(String(p.id));
    if (speaker === String(p.id)) setSpeaker(null);
  });

  // Who speaks right now, from the roster (the server reports changes only).
  function speakingFromRoster() {
    for (const p of room.participants.values()) {
      tileOf(p.id)?.classList.toggle("speaking", !!p.speaking);
      if (p.speaking && !p.isMe && !speaker) setSpeaker(String(p.id));
    }
  }

  // room.js writes "Connected" and builds the tiles on (re)connect: run after it.
  const reapply = () => queueMicrotask(() => {
    if (room.media.state === "lost") showMedia(room.media);
    speakingFromRoster();
  });
  room.on("connected", reapply);
  room.on("reconnected", reapply);
  room.on("media", showMedia);

  function showMedia(media) {
    document.body.dataset.mediaPath = media.path;
    document.body.dataset.mediaState = media.state;
    if (media.path === "sfu" && media.state === "lost") {
      status.textContent = "Media server unavailable — reconnecting…";
      status.className = "status warn";
      toast("The media server is unavailable. Video comes back as soon as it does.");
      return;
    }
    if (room.status === "connected") {
      status.textContent = "Connected";
      status.className = "status ok";
    }
    if (media.moved) toast("The meeting moved to another media server.");
    else if (media.path === "sfu" && media.reason === "size") toast("This meeting is now routed through the media server.");
    if (media.advice && !advised && room.me?.role === "host") {
      advised = true;
      toast(media.advice);
      console.info("parley:", media.advice);
    }
  }

  return { get speaker() { return speaker; }, config };
}
