"use strict";
// The sandbox page: the chat, the operator pane and the steps come from
// /sandbox/events (server-sent events); the customer's messages, the
// faults and the edits go to /sandbox/*. No framework, no build step.

const $ = (id) => document.getElementById(id);
const personas = JSON.parse($("personas").textContent);
const events = [];
let current = null; // the current persona's chat id, once known

function chatOf(phone) {
  let d = phone.replace(/[+\s\-().]/g, "");
  if (d.startsWith("00")) d = d.slice(2);
  return /^\d{7,15}$/.test(d) ? d + "@c.us" : null;
}

function persona() {
  const products = $("products").value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const [name, price, hidden] = l.split("|").map((x) => (x || "").trim());
    return { name, price: price || "", hidden: /^(hidden|yes|true)$/i.test(hidden || "") };
  });
  return {
    phone: $("phone").value, name: $("name").value.trim(), business: $("business").checked,
    category: $("category").value.trim(), description: $("description").value.trim(), products,
  };
}

function showPersona(p) {
  $("phone").value = p.phone;
  $("name").value = p.name || "";
  $("business").checked = !!p.business;
  $("category").value = p.category || "";
  $("description").value = p.description || "";
  $("products").value = (p.products || []).map((x) => [x.name, x.price || "", x.hidden ? "hidden" : ""].join(" | ").replace(/( \| )+$/, "")).join("\n");
  $("text").value = p.hello || "";
  selectChat();
}

function selectChat() {
  current = chatOf($("phone").value);
  $("chat-title").textContent = current ? "Chat with " + $("phone").value : "Chat";
  render();
}

// One time format on the page: the clock of whoever looks at it.
function clock(at) {
  return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

// A step's text, with its times on the same clock and Go's durations
// (336h0m0s, 1m30s, 1.2s) in words.
function readable(text) {
  const iso = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g;
  text = text.replace(iso, (m) => {
    const d = new Date(m);
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay ? clock(d) : d.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" }) + " " + clock(d);
  });
  const goDuration = /\b(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?\b/g;
  return text.replace(goDuration, (m, h, min, sec) => {
    if (!m || (!h && !min && !sec) || (!h && !min)) return m; // "5s" alone reads well already
    const total = (+h || 0) * 3600 + (+min || 0) * 60 + (+sec || 0);
    return words(total);
  });
}

function words(seconds) {
  const plural = (n, unit) => n + " " + unit + (n === 1 ? "" : "s");
  if (seconds >= 86400 && seconds % 86400 === 0) return plural(seconds / 86400, "day");
  if (seconds >= 3600 && seconds % 3600 === 0) return plural(seconds / 3600, "hour");
  if (seconds >= 3600) return plural(Math.floor(seconds / 3600), "hour") + " " + plural(Math.round((seconds % 3600) / 60), "minute");
  if (seconds >= 60 && seconds % 60 === 0) return plural(seconds / 60, "minute");
  if (seconds >= 60) return plural(Math.floor(seconds / 60), "minute") + " " + plural(Math.round(seconds % 60), "second");
  return plural(Math.round(seconds * 10) / 10, "second");
}

function bubble(e) {
  const div = document.createElement("div");
  div.className = "msg " + e.kind;
  div.dir = "auto";
  div.textContent = e.text;
  if (e.style) div.appendChild(options(e));
  const time = document.createElement("time");
  time.dir = "ltr"; // a right-to-left bubble keeps its time readable
  time.textContent = clock(e.at);
  div.appendChild(time);
  if (e.kind === "operator") {
    // An operator (a colleague in the group) replies "+" to it: a claim.
    const take = document.createElement("button");
    take.type = "button";
    take.className = "take secondary";
    take.textContent = "Reply +";
    take.addEventListener("click", () => post("/sandbox/claim", { id_message: e.id_message, quoted: e.text }));
    div.appendChild(take);
  }
  return div;
}

// options are a poll's or buttons' options, which the customer taps: a
// vote or a tap goes to the service as Green API would send it.
function options(e) {
  const box = document.createElement("div");
  box.className = "options " + e.style;
  e.options.forEach((label, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "option";
    b.textContent = (e.style === "poll" ? "○ " : "") + label;
    b.addEventListener("click", async () => {
      const r = await post("/sandbox/tap", { phone: $("phone").value, name: $("name").value.trim(), id_message: e.id_message, option: i });
      $("send-error").hidden = r.ok;
      if (!r.ok) $("send-error").textContent = r.data.error || "not sent";
    });
    box.appendChild(b);
  });
  return box;
}

function render() {
  const chat = $("chat"), ops = $("operators"), trace = $("trace");
  chat.replaceChildren();
  ops.replaceChildren();
  trace.replaceChildren();
  const steps = new Map();
  // The steps of the messages written in the chat, not of Frontdesk's own.
  const written = new Set(events.filter((e) => e.chat === current && (e.kind === "customer" || e.kind === "business")).map((e) => e.id_message));
  for (const e of events) {
    if (e.kind === "operator" || e.kind === "colleague") ops.appendChild(bubble(e));
    if (e.chat !== current) continue;
    if (e.kind === "customer" || e.kind === "bot" || e.kind === "business") chat.appendChild(bubble(e));
    if (e.kind === "trace" && written.has(e.id_message)) {
      if (!steps.has(e.id_message)) steps.set(e.id_message, []);
      steps.get(e.id_message).push(e);
    }
  }
  for (const [id, list] of steps) {
    const box = document.createElement("details");
    box.open = true;
    const summary = document.createElement("summary");
    summary.textContent = "message " + id;
    box.appendChild(summary);
    const t0 = new Date(list[0].at).getTime();
    const ol = document.createElement("ol");
    for (const s of list) {
      const li = document.createElement("li");
      li.className = "step step-" + s.step.replace(/\s/g, "-");
      const b = document.createElement("b");
      b.textContent = s.step;
      li.appendChild(b);
      const after = new Date(s.at).getTime() - t0;
      li.appendChild(document.createTextNode(" " + clock(s.at) + (after > 0 ? " (+" + (after < 1000 ? after + " ms" : words(after / 1000)) + ")" : "") +
        (s.text ? ": " + readable(s.text) : "")));
      ol.appendChild(li);
    }
    box.appendChild(ol);
    trace.appendChild(box);
  }
  chat.scrollTop = chat.scrollHeight;
  ops.scrollTop = ops.scrollHeight;
  trace.scrollTop = trace.scrollHeight; // the newest step in view
}

function showFaults(list) {
  for (const box of document.querySelectorAll("[data-fault]")) box.checked = list.includes(box.dataset.fault);
}

async function post(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const data = await r.json().catch(() => ({}));
  return { ok: r.ok, data };
}

$("composer").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = $("text").value;
  const r = await post("/sandbox/message", { persona: persona(), text });
  $("send-error").hidden = r.ok;
  if (!r.ok) { $("send-error").textContent = r.data.error || "not sent"; return; }
  $("text").value = "";
});

$("customer-calls").addEventListener("click", async () => {
  const r = await post("/sandbox/call", { persona: persona() });
  $("send-error").hidden = r.ok;
  if (!r.ok) $("send-error").textContent = r.data.error || "not called";
});

$("business-writes").addEventListener("click", async () => {
  const r = await post("/sandbox/business", { phone: $("phone").value, text: $("text").value });
  $("send-error").hidden = r.ok;
  if (!r.ok) $("send-error").textContent = r.data.error || "not sent";
  else $("text").value = "";
});

for (const box of document.querySelectorAll("[data-fault]")) {
  box.addEventListener("change", () => post("/sandbox/fault", { name: box.dataset.fault, on: box.checked }));
}

let configLoads = 0; // only the latest load may fill the editor

async function loadConfig() {
  const load = ++configLoads;
  const [file, locale] = $("config-file").value.split(":");
  const r = await fetch("/sandbox/config" + (locale ? "?locale=" + encodeURIComponent(locale) : ""));
  const data = await r.json();
  if (load !== configLoads) return;
  $("config-text").value = file === "rules" ? data.rules : data.locale;
  $("config-error").hidden = true;
  $("config-status").hidden = true;
}

$("config-file").addEventListener("change", loadConfig);
async function showExample(key) {
  const load = ++configLoads; // a load in flight must not overwrite the example
  const r = await fetch("/sandbox/config");
  const data = await r.json();
  if (load !== configLoads) return;
  $("config-file").value = "rules";
  $("config-text").value = data[key];
  $("config-error").hidden = true;
  $("config-status").hidden = false;
  $("config-status").textContent = "An example, not applied yet: Check and apply, then write as a customer.";
}
$("config-example-menu").addEventListener("click", () => showExample("menu_example"));
$("config-example-reminders").addEventListener("click", () => showExample("reminders_example"));
$("config-shipped").addEventListener("click", async () => {
  const load = ++configLoads;
  const r = await fetch("/sandbox/config");
  const data = await r.json();
  if (load !== configLoads) return;
  $("config-file").value = "rules";
  $("config-text").value = data.shipped_rules;
  $("config-error").hidden = true;
  $("config-status").hidden = false;
  $("config-status").textContent = "The shipped rules, not applied yet: Check and apply.";
});
$("config-apply").addEventListener("click", async () => {
  const [file, locale] = $("config-file").value.split(":");
  // Nothing left over from an earlier apply may stand while this one runs.
  $("config-error").hidden = true;
  $("config-status").hidden = false;
  $("config-status").textContent = "Checking…";
  const r = await post("/sandbox/config", { file, locale: locale || "", text: $("config-text").value });
  $("config-error").hidden = r.ok;
  $("config-status").hidden = !r.ok;
  if (r.ok) $("config-status").textContent = "Applied: the next message uses it.";
  else $("config-error").textContent = r.data.error;
});

const select = $("persona-select");
personas.forEach((p, i) => select.add(new Option(p.label, String(i))));
select.add(new Option("Your own", "own"));
select.addEventListener("change", () => { if (select.value !== "own") showPersona(personas[Number(select.value)]); });
for (const id of ["phone"]) $(id).addEventListener("input", () => { select.value = "own"; selectChat(); });
for (const id of ["name", "business", "category", "description", "products"]) $(id).addEventListener("input", () => { select.value = "own"; });

const source = new EventSource("/sandbox/events");
source.onmessage = (m) => {
  const e = JSON.parse(m.data);
  if (e.kind === "faults") { showFaults(e.faults || []); return; }
  if (e.kind === "config") return;
  events.push(e);
  render();
};

showPersona(personas[0]);
loadConfig();
