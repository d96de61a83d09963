/**
 * The chat panel: history from `room_state`, live `chat-box` frames, the send form.
 */
import { $, el, toDate } from "./dom.js";

export function mount({ room, config }) {
  const log = $("[data-chat-log]");
  const form = $("[data-chat-form]");
  const input = $("#chat-input");

  function add({ username, msg, time, id }) {
    const mine = room.me && id !== undefined && String(id) === String(room.me.id);
    const when = toDate(time);
    const entry = el("div", { class: `chat-entry${mine ? " mine" : ""}` },
      el("div", { class: "chat-head" },
        el("span", { class: "chat-name", text: mine ? "You" : username || "Guest" }),
        el("time", { datetime: when.toISOString(), text: when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) })),
      el("p", { class: "chat-text", text: String(msg ?? "") }));
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(entry);
    log.querySelector(".empty")?.remove();
    if (atBottom || mine) log.scrollTop = log.scrollHeight;
    if (!mine && document.body.dataset.chatOpen === "false") $("[data-panel-toggle='chat']")?.classList.add("unread");
  }

  function renderHistory(state) {
    const history = state.chat || state.history || state.messages || [];
    if (!Array.isArray(history)) return;
    log.replaceChildren();
    if (!history.length) log.append(el("p", { class: "empty", text: "No messages yet. Say hello!" }));
    for (const m of history) add(m);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const msg = input.value.trim();
    if (!msg) return;
    room.sendData({ type: "chat-box", msg, time: Date.now() });
    // The server relays chat to the others; the sender shows its own line.
    add({ id: room.me?.id, username: room.me?.username || config.name, msg, time: Date.now() });
    input.value = "";
  });

  room.on("connected", renderHistory);
  room.on("reconnected", renderHistory);
  room.on("chat-box", add);
  return { focus: () => input.focus() };
}
