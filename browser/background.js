// Zhilian browser extension: hands links to Zhilian's aria2-compatible JSON-RPC
// (http://127.0.0.1:6800/jsonrpc by default) with the secret the user pasted once.
// One file for Chromium (service worker) and Firefox (background script).
"use strict";

const api = globalThis.browser ?? globalThis.chrome;

const DEFAULTS = {
  rpcUrl: "http://127.0.0.1:6800/jsonrpc",
  secret: "",
  sendCookies: true,     // the site's cookies go with the link (logged-in downloads)
  capture: false,        // take over browser downloads of model-like files
};
const MODEL_EXTS = [".safetensors", ".ckpt", ".pth", ".bin", ".gguf", ".onnx", ".zip", ".7z"];
const MENU_LINK = "zhilian-link";
const MENU_TEXT = "zhilian-selection";
const URL_RE = /https?:\/\/[^\s<>"'\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+/i;

async function settings() {
  return { ...DEFAULTS, ...(await api.storage.local.get(Object.keys(DEFAULTS))) };
}

// One JSON-RPC call; throws Error(message) with Zhilian's (aria2's) error message.
async function rpc(method, params) {
  const s = await settings();
  const body = { jsonrpc: "2.0", id: `zhilian-ext-${Date.now()}`, method,
                 params: [`token:${s.secret}`, ...params] };
  let resp;
  try {
    resp = await fetch(s.rpcUrl, { method: "POST", headers: { "Content-Type": "application/json" },
                                   body: JSON.stringify(body) });
  } catch (e) {
    throw new Error(`Zhilian is not answering at ${s.rpcUrl}: is the app running?`);
  }
  let answer;
  try {
    answer = await resp.json();
  } catch (e) {
    throw new Error(`Not an RPC answer from ${s.rpcUrl} (HTTP ${resp.status})`);
  }
  if (answer.error) {
    throw new Error(answer.error.message === "Unauthorized"
      ? "Zhilian refused the secret: paste the one from Zhilian's Settings > Browser" : answer.error.message);
  }
  return answer.result;
}

function isModelFile(name) {
  const n = (name || "").toLowerCase().split(/[?#]/)[0];
  return MODEL_EXTS.some((ext) => n.endsWith(ext));
}

async function cookieHeader(url) {
  try {
    const list = await api.cookies.getAll({ url });
    return list.map((c) => `${c.name}=${c.value}`).join("; ");
  } catch (e) {
    return "";
  }
}

// The link (or a share text with its extraction code) to Zhilian, with this browser's
// User-Agent, the page as Referer and, when allowed, the cookies of the link's site.
async function sendToZhilian(text, { referrer = "", cookieUrl = "" } = {}) {
  const s = await settings();
  const header = [`User-Agent: ${navigator.userAgent}`];
  if (referrer && /^https?:/i.test(referrer)) header.push(`Referer: ${referrer}`);
  if (s.sendCookies && /^https?:/i.test(cookieUrl)) {
    const cookie = await cookieHeader(cookieUrl);
    if (cookie) header.push(`Cookie: ${cookie}`);
  }
  return rpc("aria2.addUri", [[text], { header }]);
}

// What the context menu does (also called by the options page's "Send" box).
async function onMenuClicked(info, tab) {
  const referrer = info.pageUrl || (tab && tab.url) || "";
  if (info.menuItemId === MENU_LINK && info.linkUrl) {
    return sendToZhilian(info.linkUrl, { referrer, cookieUrl: info.linkUrl });
  }
  if (info.menuItemId === MENU_TEXT && info.selectionText) {
    const m = info.selectionText.match(URL_RE);
    if (!m) throw new Error("No link in the selected text");
    return sendToZhilian(info.selectionText.trim(), { referrer, cookieUrl: m[0] });
  }
  throw new Error("Nothing to send");
}

function notify(title, message) {
  try {
    api.notifications.create({ type: "basic", iconUrl: api.runtime.getURL("icons/128.png"), title, message });
  } catch (e) {
    // notifications are a courtesy
  }
}

async function handleMenu(info, tab) {
  try {
    const gid = await onMenuClicked(info, tab);
    notify("Sent to Zhilian", info.linkUrl || info.selectionText || "");
    return gid;
  } catch (e) {
    notify("Zhilian", e.message);
    throw e;
  }
}

async function createMenus() {
  await api.contextMenus.removeAll();
  api.contextMenus.create({ id: MENU_LINK, title: "Download with Zhilian", contexts: ["link"] });
  api.contextMenus.create({ id: MENU_TEXT, title: "Download with Zhilian", contexts: ["selection"] });
}

api.runtime.onInstalled.addListener(createMenus);
api.runtime.onStartup.addListener(createMenus);
api.contextMenus.onClicked.addListener((info, tab) => { handleMenu(info, tab).catch(() => {}); });

async function quietly(promise) {
  try {
    return await promise;
  } catch (e) {
    return undefined;
  }
}

// Optional: downloads of model-like files go to Zhilian instead (with the page's cookies
// for that host and its Referer). The browser's download is paused at once; when Zhilian
// takes the link it is cancelled (or its file deleted, when it already finished) and
// erased from the list; when Zhilian does not, the browser goes on.
api.downloads.onCreated.addListener(async (item) => {
  const s = await settings();
  const url = item.finalUrl || item.url || "";
  if (!s.capture || !/^https?:/i.test(url) || !(isModelFile(item.filename) || isModelFile(url))) return;
  await quietly(api.downloads.pause(item.id));
  try {
    await sendToZhilian(url, { referrer: item.referrer || "", cookieUrl: url });
  } catch (e) {
    await quietly(api.downloads.resume(item.id));
    notify("Zhilian did not take the download", e.message);
    return;
  }
  const [now] = (await quietly(api.downloads.search({ id: item.id }))) || [];
  if (now && now.state === "complete") await quietly(api.downloads.removeFile(item.id));
  else {
    await quietly(api.downloads.cancel(item.id));
    // a small file can finish between the look and the cancel (the pause came too late):
    // the cancel then does nothing, and its file is deleted instead
    const [after] = (await quietly(api.downloads.search({ id: item.id }))) || [];
    if (after && after.state === "complete") await quietly(api.downloads.removeFile(item.id));
  }
  await quietly(api.downloads.erase({ id: item.id }));
  notify("Sent to Zhilian", url);
});

// Messages from the extension's own pages only (options: test the connection, send a link).
api.runtime.onMessage.addListener((msg, sender, reply) => {
  if (sender.id !== api.runtime.id || !msg) return false;
  let job = null;
  if (msg.kind === "menu-click") job = handleMenu(msg.info || {}, msg.tab || null);
  if (msg.kind === "test") job = rpc("aria2.getVersion", []);
  if (!job) return false;
  job.then((result) => reply({ ok: true, result }), (e) => reply({ ok: false, error: e.message }));
  return true;
});
