/**
 * Meeting-wide actions: "Copy invite link" (everyone; the meeting's invite page), and for
 * hosts "End meeting for all" — after a confirmation, `end-meeting`: the server marks the
 * meeting ended, everyone gets `meeting-ended` and their sockets close; nobody joins again.
 */
import { $, confirmAction, toast } from "./dom.js";

export function mount({ room, config }) {
  const copy = $("[data-copy-invite]");
  const end = $("[data-end-meeting]");
  const isHost = () => (room.me?.role || config.role) === "host";

  copy.hidden = !config.inviteUrl;
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(config.inviteUrl);
      toast("Invite link copied.");
    } catch {
      // No clipboard permission (e.g. not a secure context): show the link to copy by hand.
      window.prompt("Copy the invite link:", config.inviteUrl);
    }
  });

  function render() { end.hidden = !isHost(); }
  end.addEventListener("click", async () => {
    const ok = await confirmAction({
      title: "End the meeting for everyone?",
      text: "Everyone leaves the room now, and nobody can join this meeting again.",
      ok: "End meeting",
    });
    if (ok) room.endMeeting();
  });
  room.on("connected", render);
  room.on("reconnected", render);
  render();
}
