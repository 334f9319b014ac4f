"use strict";
const api = globalThis.browser ?? globalThis.chrome;
const FIELDS = { rpcUrl: "value", secret: "value", sendCookies: "checked", capture: "checked" };
const DEFAULTS = { rpcUrl: "http://127.0.0.1:6800/jsonrpc", secret: "", sendCookies: true, capture: false };

function show(text, ok) {
  const el = document.getElementById("status");
  el.textContent = text;
  el.className = ok ? "ok" : "bad";
}

async function load() {
  const s = { ...DEFAULTS, ...(await api.storage.local.get(Object.keys(FIELDS))) };
  for (const [k, prop] of Object.entries(FIELDS)) document.getElementById(k)[prop] = s[k];
}

async function save() {
  const s = {};
  for (const [k, prop] of Object.entries(FIELDS)) s[k] = document.getElementById(k)[prop];
  s.rpcUrl = s.rpcUrl.trim() || DEFAULTS.rpcUrl;
  s.secret = s.secret.trim();
  await api.storage.local.set(s);
  show("Saved.", true);
}

// The same handler the context menu calls, in the background page.
function ask(msg) {
  return api.runtime.sendMessage(msg);
}

async function test() {
  await save();
  const r = await ask({ kind: "test" });
  show(r.ok ? `Connected to Zhilian (${r.result.zhilian || r.result.version}).` : r.error, r.ok);
}

async function sendText() {
  const text = document.getElementById("send").value.trim();
  if (!text) return;
  const link = /^https?:\/\/\S+$/i.test(text);
  const info = link ? { menuItemId: "zhilian-link", linkUrl: text } : { menuItemId: "zhilian-selection", selectionText: text };
  const r = await ask({ kind: "menu-click", info });
  show(r.ok ? `Sent to Zhilian (${r.result}).` : r.error, r.ok);
}

document.getElementById("save").addEventListener("click", save);
document.getElementById("test").addEventListener("click", test);
document.getElementById("sendBtn").addEventListener("click", sendText);
load();
