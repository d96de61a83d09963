/**
 * Live selling, in `live` rooms. Hosts keep a list of products ("Products" panel) and put one
 * on show: `sell-live` (once) and `product-selected` with the product — the server keeps it,
 * so viewers who join later see it too (`room_state.product`). Viewers see the product on show
 * highlighted over the video, with the live number of people watching (`view_count`), and can
 * say they are interested (`product-selected` from a viewer: the hosts get a notice).
 */
import { $, el, toast } from "./dom.js";

export function mount({ room, config }) {
  if (config.roomType !== "live") return;
  const panelButton = $("[data-panel-toggle='products']");
  const form = $("[data-products-form]");
  const list = $("[data-products-list]");
  const spot = $("[data-product-spot]");
  const isHost = () => (room.me?.role || config.role) === "host";
  const products = [];
  let selling = false;
  let onShow = null;

  function show(product) {
    onShow = product && product.productId ? product : null;
    spot.hidden = !onShow;
    if (onShow) {
      $("[data-product-name]", spot).textContent = onShow.name || onShow.productId;
      $("[data-product-price]", spot).textContent = onShow.price || "";
    }
    $("[data-product-interest]", spot).hidden = isHost();
    renderList();
  }

  function renderList() {
    list.replaceChildren(...products.map((p) => {
      const current = onShow?.productId === p.productId;
      return el("li", { class: `person${current ? " on-show" : ""}` },
        el("span", { class: "person-main" }, el("span", { class: "person-name", text: p.name }),
          el("span", { class: "person-meta", text: p.price || "" })),
        el("span", { class: "person-actions" }, el("button", {
          type: "button", class: "small", text: current ? "On show" : "Show", disabled: current,
          "aria-label": `Show ${p.name}`, onclick: () => feature(p),
        })));
    }));
  }

  function feature(product) {
    if (!selling) { room.sendData({ type: "sell-live" }); selling = true; }
    room.sendData({ type: "product-selected", ...product });
    show(product);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const name = String(data.get("name") || "").trim();
    if (!name) return;
    products.push({ productId: `p${Date.now().toString(36)}${products.length}`, name,
      price: String(data.get("price") || "").trim() });
    form.reset();
    renderList();
  });
  $("[data-product-interest]", spot).addEventListener("click", () => {
    if (!onShow) return;
    room.sendData({ type: "product-selected", productId: onShow.productId });
    toast("The host knows you're interested.");
  });

  const joined = (state) => {
    panelButton.hidden = !isHost();
    selling = !!state.sellLive;
    show(state.sellLive ? state.product : null);
    $("[data-product-viewers]").textContent = String(state.viewCount ?? room.participants.size);
  };
  room.on("connected", joined);
  room.on("reconnected", joined);
  room.on("view-count", ({ count }) => { $("[data-product-viewers]").textContent = String(count); });
  room.on("sell-live", (frame) => { selling = frame.flag !== false; if (!selling) show(null); });
  room.on("product-selected", (frame) => {
    // the sender is senderId (id is the product, as in the seed: docs/protocol.md)
    const host = room.participants.get(String(frame.senderId ?? frame.id))?.role === "host";
    if (host) show({ productId: frame.productId, name: frame.name, price: frame.price });
    else if (isHost()) toast(`${frame.username || "A viewer"} is interested in ${products.find((p) => p.productId === frame.productId)?.name || "the product"}.`);
  });
}
