'use strict';
/*
 * dilemmabot test launcher for the Telegram Bot API emulator `telegram-test-api` 4.2.1,
 * made to work with python-telegram-bot 22.x.
 *
 *   node server.js [PORT] [--exit-on-stdin-close]
 *
 * PORT 0 (the default) picks a free port. When listening, prints one line
 *   READY http://127.0.0.1:<port>
 * on stdout. SIGTERM / SIGINT stop it. With --exit-on-stdin-close it also stops when its stdin
 * closes (the pytest fixture uses this, so a killed test run leaves no server behind).
 *
 * PTB side:  ApplicationBuilder().token(TOKEN).base_url(f"{url}/bot").base_file_url(f"{url}/file/bot")
 * Any token without "/" works; all state is kept per token.
 *
 * How it is built: the stock TelegramServer is created but NOT started; its express app is mounted
 * behind our own express app, which answers first. Our app fixes the stock gaps with python-telegram-bot
 * 22 (see /work/shared/peers/telegram.md items 1-8) and adds the methods and test routes listed below.
 * Everything the stock server stores (user updates, bot messages) stays in `server.storage`, so the stock
 * client routes /getUpdates and /getUpdatesHistory keep working.
 *
 * Bot API methods answered here (everything else: HTTP 500 "method ... is not emulated"):
 *   getMe (with is_bot), getUpdates (offset/limit/timeout = real long polling), deleteWebhook
 *   (drop_pending_updates), setWebhook (stock), sendMessage (date in seconds, real chat type),
 *   editMessageText / editMessageReplyMarkup / editMessageCaption (return the Message, recorded),
 *   deleteMessage / deleteMessages (400 on unknown message, recorded), answerCallbackQuery (true, recorded),
 *   sendPhoto / sendDocument (multipart parsed, bytes kept, recorded), getChatMember /
 *   getChatAdministrators (admins set at run time), getChat, getChatMemberCount, sendChatAction,
 *   setMyCommands / deleteMyCommands / getMyCommands (recorded), setChatMenuButton / getChatMenuButton,
 *   set/getMyDescription, set/getMyShortDescription, set/getMyName, getWebhookInfo,
 *   pinChatMessage / unpinChatMessage / unpinAllChatMessages, leaveChat.
 *
 * Client ("user side") routes, POST + JSON body. `token` and `botToken` are accepted everywhere:
 *   /sendMessage  {botToken, from, chat, text, date?, entities?, reply_to_message?}  -> {message_id, update_id}
 *   /sendCommand  same, entities required                                            -> {message_id, update_id}
 *   /sendCallback {botToken, from, message, data, chat_instance?}                     -> {callback_query_id, update_id}
 *   /sendUpdate   {botToken, update}   any raw Update object (update_id is assigned)   -> {update_id}
 *   /getUpdates {token, chatId}, /getUpdatesHistory {token}          (stock)
 *   /getBotMessages {token, chatId?}  bot messages still present, as Bot API Message objects (+ "params")
 *   /getEdits, /getCallbackAnswers, /getPhotos, /getDocuments, /getDeletes, /getMyCommandsLog, /getCalls  {token}
 *   /setAdmins {botToken, chatId, userIds:[...], ownerId?}
 *   /failNext  {botToken, method, count=1, retryAfter=1, errorCode=429, description?}
 *   /reset {token}     forget everything about this token
 * Env: TG_EMULATOR_ADMINS  default admins: "1,2" (every chat) or JSON {"<chatId>": [ids], "*": [ids]}
 *      TG_EMULATOR_VERBOSE=1  log every Bot API call to stderr
 */

const http = require('http');
const crypto = require('crypto');
const path = require('path');

// express is a dependency of telegram-test-api; resolve it from there so we use the very same copy.
const TTA_DIR = path.dirname(require.resolve('telegram-test-api/package.json'));
const express = require(require.resolve('express', { paths: [TTA_DIR] }));
const TelegramServer = require('telegram-test-api');

const BOT_USER = Object.freeze({
  id: 666, is_bot: true, first_name: 'Test First name', username: 'TestNameBot',
});
const VERBOSE = process.env.TG_EMULATOR_VERBOSE === '1';
const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;

/* ------------------------------------------------------------------ stock patches (class level) */

// telegram.md #3: the stock callback_query update drops chat_instance (required by PTB -> update lost).
// Also: raw updates injected through /sendUpdate, and no `botToken` leaking into the Message.
const stockFormatUpdate = TelegramServer.formatUpdate;
TelegramServer.formatUpdate = function formatUpdate(update) {
  if (update.rawUpdate) return { ...update.rawUpdate, update_id: update.updateId };
  const out = stockFormatUpdate.call(this, update);
  if (out.callback_query) {
    const cq = update.callbackQuery;
    const chatId = cq.message && cq.message.chat ? cq.message.chat.id : cq.from && cq.from.id;
    out.callback_query.chat_instance = String(cq.chat_instance || `ci${chatId}`);
    if (cq.inline_message_id) out.callback_query.inline_message_id = cq.inline_message_id;
    if (cq.game_short_name) out.callback_query.game_short_name = cq.game_short_name;
  }
  if (out.message) {
    delete out.message.botToken;
    if (out.message.date === undefined) out.message.date = Math.floor(update.time / 1000);
  }
  return out;
};

/* ------------------------------------------------------------------ state */

const server = new TelegramServer({ port: 0, host: '127.0.0.1', storeTimeout: 24 * 3600 });
// The stock server is never start()ed, so its clean-up daemon (which forgets old messages) never runs.

const states = new Map();
function st(token) {
  let s = states.get(token);
  if (!s) {
    s = {
      chats: new Map(), // chatId(string) -> Chat as last sent by the user side
      users: new Map(), // userId(string) -> User
      admins: new Map(), // chatId(string) -> Set(userId strings)
      owners: new Map(), // chatId(string) -> userId string
      edits: [],
      answers: [],
      media: [],
      deletes: [],
      commandsLog: [],
      commands: new Map(), // scope+lang key -> commands
      calls: [],
      failures: new Map(), // lower-case method -> {count, errorCode, retryAfter, description}
      callbackIds: new Set(),
    };
    states.set(token, s);
  }
  return s;
}

function parseDefaultAdmins(raw) {
  const out = new Map();
  if (!raw || !raw.trim()) return out;
  const t = raw.trim();
  if (t.startsWith('{')) {
    for (const [chat, ids] of Object.entries(JSON.parse(t))) out.set(String(chat), new Set(ids.map(String)));
  } else {
    out.set('*', new Set(t.split(',').map((x) => x.trim()).filter(Boolean)));
  }
  return out;
}
const DEFAULT_ADMINS = parseDefaultAdmins(process.env.TG_EMULATOR_ADMINS);

/* ------------------------------------------------------------------ helpers */

const JSON_FIELDS = ['reply_markup', 'entities', 'caption_entities', 'reply_parameters', 'link_preview_options',
  'commands', 'scope', 'menu_button', 'message_ids', 'allowed_updates'];

// PTB sends form fields; objects arrive as JSON strings and booleans as "true"/"false".
function normalizeParams(body) {
  const b = { ...(body || {}) };
  for (const k of JSON_FIELDS) {
    if (typeof b[k] === 'string') {
      try { b[k] = JSON.parse(b[k]); } catch (_e) { /* keep as is */ }
    }
  }
  return b;
}
function bool(v) { return v === true || v === 'true' || v === '1' || v === 1; }
function num(v, dflt) {
  if (v === undefined || v === null || v === '') return dflt;
  const n = Number(v);
  return Number.isFinite(n) ? n : dflt;
}
function chatIdValue(v) {
  const n = Number(v);
  return Number.isFinite(n) && String(v).trim() !== '' ? n : v;
}
function inlineMarkup(m) { return m && typeof m === 'object' && Array.isArray(m.inline_keyboard) ? m : undefined; }
function same(a, b) { return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b); }
function tokenOf(body) { return (body && (body.token || body.botToken)) || ''; }
function nowSec() { return Math.floor(Date.now() / 1000); }

function ok(res, result) { res.json({ ok: true, result }); }
function fail(res, code, description, parameters) {
  const body = { ok: false, error_code: code, description };
  if (parameters) body.parameters = parameters;
  res.status(code).json(body);
}
const badRequest = (res, what) => fail(res, 400, `Bad Request: ${what}`);

// Chat type: as the user side sent it (that is what the bot sees in updates), else a guess from the id.
function chatFor(s, chatId) {
  const known = s.chats.get(String(chatId));
  if (known) return { ...known };
  const id = chatIdValue(chatId);
  if (typeof id !== 'number') return { id: 0, type: 'channel', username: String(id).replace(/^@/, '') };
  if (id < -1000000000000) return { id, type: 'supergroup', title: `Chat ${id}` };
  if (id < 0) return { id, type: 'group', title: `Chat ${id}` };
  return { id, type: 'private', first_name: `User ${id}` };
}
function userFor(s, userId) {
  const known = s.users.get(String(userId));
  if (known) return { id: known.id, is_bot: !!known.is_bot, first_name: known.first_name || `User ${userId}`,
    ...(known.username ? { username: known.username } : {}), ...(known.last_name ? { last_name: known.last_name } : {}) };
  if (String(userId) === String(BOT_USER.id)) return { ...BOT_USER };
  return { id: Number(userId), is_bot: false, first_name: `User ${userId}` };
}
function remember(s, chat, from) {
  if (chat && chat.id !== undefined) s.chats.set(String(chat.id), { ...chat });
  if (from && from.id !== undefined) s.users.set(String(from.id), { ...from });
}

function findBotEntry(token, chatId, messageId) {
  return server.storage.botMessages.find((u) => u.botToken === token
    && String(u.messageId) === String(messageId) && String(u.message.chat_id) === String(chatId));
}

// Store a bot message the same way the stock addBotMessage does (so stock client routes see it).
function storeBotMessage(token, message) {
  const entry = {
    time: Date.now(), botToken: token, message, updateId: server.updateId, messageId: server.messageId, isRead: false,
  };
  server.storage.botMessages.push(entry);
  server.messageId++;
  server.updateId++;
  server.emit('AddedBotMessage');
  return entry;
}

// The Bot API Message for a stored bot message (what the bot receives back).
function apiMessage(s, entry) {
  const m = entry.message;
  const out = {
    message_id: entry.messageId,
    from: { ...BOT_USER },
    date: Math.floor(entry.time / 1000),
    chat: chatFor(s, m.chat_id),
  };
  for (const k of ['text', 'entities', 'caption', 'caption_entities', 'photo', 'document', 'edit_date']) {
    if (m[k] !== undefined) out[k] = m[k];
  }
  if (m.reply_parameters && m.reply_parameters.message_id !== undefined) {
    const target = server.storage.userMessages.find((u) => u.botToken === entry.botToken && u.message
      && String(u.messageId) === String(m.reply_parameters.message_id));
    if (target) {
      out.reply_to_message = { ...target.message, message_id: target.messageId };
      delete out.reply_to_message.botToken;
    }
  }
  const markup = inlineMarkup(m.reply_markup);
  if (markup) out.reply_markup = markup;
  return out;
}

/* ------------------------------------------------------------------ multipart/form-data */

function parseMultipart(buf, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType || '');
  if (!m) throw new Error('multipart body without boundary');
  const delimiter = Buffer.from(`--${m[1] || m[2].trim()}`);
  const fields = {};
  const files = {};
  let pos = buf.indexOf(delimiter);
  while (pos !== -1) {
    pos += delimiter.length;
    if (buf[pos] === 0x2d && buf[pos + 1] === 0x2d) break; // closing "--"
    if (buf[pos] === 0x0d && buf[pos + 1] === 0x0a) pos += 2;
    const headEnd = buf.indexOf('\r\n\r\n', pos);
    if (headEnd === -1) break;
    const headers = {};
    for (const line of buf.slice(pos, headEnd).toString('utf8').split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = buf.indexOf(delimiter, headEnd + 4);
    if (next === -1) break;
    const data = buf.slice(headEnd + 4, next - 2); // part ends with CRLF before the delimiter
    const disp = headers['content-disposition'] || '';
    const name = (/\bname="([^"]*)"/i.exec(disp) || [])[1];
    const filename = (/\bfilename="([^"]*)"/i.exec(disp) || [])[1];
    if (name !== undefined) {
      if (filename !== undefined || (headers['content-type'] && !headers['content-type'].startsWith('text/plain'))) {
        files[name] = { filename: filename || name, contentType: headers['content-type'] || 'application/octet-stream', data };
      } else {
        fields[name] = data.toString('utf8');
      }
    }
    pos = next;
  }
  return { fields, files };
}

function imageSize(data) {
  if (data.length >= 24 && data.slice(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), format: 'png' };
  }
  if (data.length > 4 && data[0] === 0xff && data[1] === 0xd8) {
    let i = 2;
    while (i + 9 < data.length) {
      if (data[i] !== 0xff) { i++; continue; }
      const marker = data[i + 1];
      const len = data.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        return { height: data.readUInt16BE(i + 5), width: data.readUInt16BE(i + 7), format: 'jpeg' };
      }
      i += 2 + len;
    }
    return { width: 0, height: 0, format: 'jpeg' };
  }
  return { width: 0, height: 0, format: 'unknown' };
}

/* ------------------------------------------------------------------ long polling */

const pollers = new Set();
// Every user update (stock /sendMessage, /sendCommand, /sendCallback and our /sendUpdate) goes through here.
const stockAddUserUpdate = TelegramServer.prototype.addUserUpdate;
TelegramServer.prototype.addUserUpdate = function addUserUpdate(update) {
  const p = stockAddUserUpdate.call(this, update); // without a webhook the push happens synchronously
  for (const poller of [...pollers]) if (poller.token === update.botToken) poller.wake();
  return p;
};

/* ------------------------------------------------------------------ express app */

const app = express();
app.disable('x-powered-by');

// multipart/form-data (sendPhoto, sendDocument ...): the stock body parsers ignore it.
app.use('/bot:token/:method', express.raw({ type: 'multipart/form-data', limit: '50mb' }), (req, res, next) => {
  if (Buffer.isBuffer(req.body) && req.is('multipart/form-data')) {
    try {
      const { fields, files } = parseMultipart(req.body, req.headers['content-type']);
      req.body = fields;
      req.files = files;
    } catch (e) {
      badRequest(res, `can't parse multipart body: ${e.message}`);
      return;
    }
  }
  next();
});
app.use(express.json({ limit: '50mb' }));
app.use(express.urlencoded({ extended: true, limit: '50mb' }));

// Bot API: call log + fault injection, before any method runs.
app.all('/bot:token/:method', (req, res, next) => {
  const s = st(req.params.token);
  const method = req.params.method;
  const params = { ...(req.query || {}), ...(req.body || {}) };
  for (const [name, f] of Object.entries(req.files || {})) params[name] = { filename: f.filename, size: f.data.length };
  const call = { method, params, time: Date.now(), status: null };
  s.calls.push(call);
  res.on('finish', () => { call.status = res.statusCode; });
  if (VERBOSE) process.stderr.write(`[tg-emulator] ${method} ${JSON.stringify(params).slice(0, 300)}\n`);
  req.body = { ...(req.query || {}), ...(req.body || {}) }; // GET with query string works like POST
  const f = s.failures.get(method.toLowerCase());
  if (f && f.count > 0) {
    f.count -= 1;
    if (f.count === 0) s.failures.delete(method.toLowerCase());
    const parameters = f.errorCode === 429 ? { retry_after: f.retryAfter } : undefined;
    fail(res, f.errorCode, f.description || `Too Many Requests: retry after ${f.retryAfter}`, parameters);
    return;
  }
  next();
});

function bot(method, handler) {
  app.all(`/bot:token/${method}`, (req, res, next) => {
    const token = req.params.token;
    try {
      handler(req, res, st(token), token, normalizeParams(req.body));
    } catch (e) { next(e); }
  });
}

/* ---- Bot API: core */

bot('getMe', (_req, res) => ok(res, {
  ...BOT_USER, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
  can_connect_to_business: false, has_main_web_app: false,
}));

bot('getUpdates', (req, res, _s, token, b) => {
  const offset = Math.trunc(num(b.offset, 0));
  const limit = Math.min(100, Math.max(1, Math.trunc(num(b.limit, 100))));
  const timeout = Math.min(50, Math.max(0, num(b.timeout, 0)));
  const take = () => {
    const mine = server.storage.userMessages.filter((u) => u.botToken === token);
    // "An update is considered confirmed as soon as getUpdates is called with an offset higher than its update_id."
    let pending;
    if (offset < 0) {
      const unconfirmed = mine.filter((u) => !u.isRead);
      const keep = unconfirmed.slice(offset);
      unconfirmed.forEach((u) => { if (!keep.includes(u)) u.isRead = true; });
      pending = keep;
    } else {
      mine.forEach((u) => { if (u.updateId < offset) u.isRead = true; });
      pending = mine.filter((u) => !u.isRead && u.updateId >= offset);
    }
    return pending.sort((a, c) => a.updateId - c.updateId).slice(0, limit).map((u) => TelegramServer.formatUpdate(u));
  };
  const first = take();
  if (first.length || timeout <= 0) { ok(res, first); return; }
  // long poll: answer as soon as an update for this token arrives, or after `timeout` seconds
  const poller = { token, done: false };
  const finish = (answer) => {
    if (poller.done) return;
    poller.done = true;
    pollers.delete(poller);
    clearTimeout(poller.timer);
    if (answer && !res.writableEnded) ok(res, take());
  };
  poller.wake = () => setImmediate(() => finish(true));
  poller.stop = () => finish(true);
  poller.timer = setTimeout(() => finish(true), timeout * 1000);
  res.on('close', () => finish(false)); // the bot went away (PTB cancels the request on stop)
  pollers.add(poller);
});

bot('deleteWebhook', (_req, res, _s, token, b) => {
  server.deleteWebhook(token);
  if (bool(b.drop_pending_updates)) {
    server.storage.userMessages.forEach((u) => { if (u.botToken === token) u.isRead = true; });
  }
  ok(res, true);
});

bot('getWebhookInfo', (_req, res, _s, token) => {
  const wh = server.webhooks[token];
  ok(res, {
    url: wh ? wh.url : '',
    has_custom_certificate: false,
    pending_update_count: server.storage.userMessages.filter((u) => u.botToken === token && !u.isRead).length,
  });
});

bot('sendMessage', (_req, res, s, token, b) => {
  if (b.chat_id === undefined || b.chat_id === '') { badRequest(res, 'chat_id is empty'); return; }
  const text = b.text === undefined ? '' : String(b.text);
  if (!text.trim()) { badRequest(res, 'message text is empty'); return; }
  if (text.length > MAX_TEXT) { badRequest(res, 'message is too long'); return; }
  // Stored as sent (a reply keyboard stays visible to the user side in `params`); the Message the bot gets
  // back carries only an inline keyboard, like Telegram's.
  const entry = storeBotMessage(token, { ...b, text });
  ok(res, apiMessage(s, entry));
});

/* ---- Bot API: edits (telegram.md #4: stock answers result:null) */

function recordEdit(s, method, b, entry) {
  s.edits.push({
    method,
    message_id: b.message_id !== undefined ? Number(b.message_id) : null,
    chat_id: b.chat_id !== undefined ? chatIdValue(b.chat_id) : null,
    inline_message_id: b.inline_message_id,
    text: entry ? entry.message.text : b.text,
    caption: entry ? entry.message.caption : b.caption,
    reply_markup: entry ? inlineMarkup(entry.message.reply_markup) || null : inlineMarkup(b.reply_markup) || null,
    time: Date.now(),
  });
}

function editTarget(res, token, b) {
  if (b.inline_message_id) return 'inline';
  if (b.chat_id === undefined || b.message_id === undefined) {
    badRequest(res, 'message identifier is not specified');
    return null;
  }
  const entry = findBotEntry(token, b.chat_id, b.message_id);
  if (!entry) { badRequest(res, 'message to edit not found'); return null; }
  return entry;
}

const NOT_MODIFIED = 'message is not modified: specified new message content and reply markup are exactly the same '
  + 'as a current content and reply markup of the message';

bot('editMessageText', (_req, res, s, token, b) => {
  const text = b.text === undefined ? '' : String(b.text);
  if (!text.trim()) { badRequest(res, 'message text is empty'); return; }
  if (text.length > MAX_TEXT) { badRequest(res, 'MESSAGE_TOO_LONG'); return; }
  const entry = editTarget(res, token, b);
  if (!entry) return;
  if (entry === 'inline') { recordEdit(s, 'editMessageText', b, null); ok(res, true); return; }
  const m = entry.message;
  if (m.text === undefined) { badRequest(res, 'there is no text in the message to edit'); return; }
  // Like Telegram: an edit without reply_markup removes the inline keyboard.
  const markup = inlineMarkup(b.reply_markup);
  if (m.text === text && same(m.entities, b.entities) && (m.parse_mode || null) === (b.parse_mode || null)
      && same(inlineMarkup(m.reply_markup), markup)) {
    badRequest(res, NOT_MODIFIED);
    return;
  }
  m.text = text;
  if (b.entities !== undefined) m.entities = b.entities; else delete m.entities;
  if (b.parse_mode !== undefined) m.parse_mode = b.parse_mode; else delete m.parse_mode;
  if (markup) m.reply_markup = markup; else delete m.reply_markup;
  m.edit_date = nowSec();
  recordEdit(s, 'editMessageText', b, entry);
  server.emit('EditedMessageText');
  ok(res, apiMessage(s, entry));
});

bot('editMessageReplyMarkup', (_req, res, s, token, b) => {
  const entry = editTarget(res, token, b);
  if (!entry) return;
  if (entry === 'inline') { recordEdit(s, 'editMessageReplyMarkup', b, null); ok(res, true); return; }
  const m = entry.message;
  const markup = inlineMarkup(b.reply_markup);
  if (same(inlineMarkup(m.reply_markup), markup)) { badRequest(res, NOT_MODIFIED); return; }
  if (markup) m.reply_markup = markup; else delete m.reply_markup; // no reply_markup = remove the keyboard
  m.edit_date = nowSec();
  recordEdit(s, 'editMessageReplyMarkup', b, entry);
  server.emit('EditedMessageReplyMarkup');
  ok(res, apiMessage(s, entry));
});

bot('editMessageCaption', (_req, res, s, token, b) => {
  const caption = b.caption === undefined ? '' : String(b.caption);
  if (caption.length > MAX_CAPTION) { badRequest(res, 'message caption is too long'); return; }
  const entry = editTarget(res, token, b);
  if (!entry) return;
  if (entry === 'inline') { recordEdit(s, 'editMessageCaption', b, null); ok(res, true); return; }
  const m = entry.message;
  if (m.text !== undefined) { badRequest(res, 'there is no caption in the message to edit'); return; }
  const markup = inlineMarkup(b.reply_markup);
  if ((m.caption || '') === caption && same(inlineMarkup(m.reply_markup), markup)) { badRequest(res, NOT_MODIFIED); return; }
  if (caption) m.caption = caption; else delete m.caption;
  if (markup) m.reply_markup = markup; else delete m.reply_markup;
  m.edit_date = nowSec();
  recordEdit(s, 'editMessageCaption', b, entry);
  ok(res, apiMessage(s, entry));
});

/* ---- Bot API: deleteMessage (telegram.md #6: stock answers 200 ok:false without result) */

function deleteOne(s, token, chatId, messageId) {
  const botIdx = server.storage.botMessages.findIndex((u) => u.botToken === token
    && String(u.messageId) === String(messageId) && String(u.message.chat_id) === String(chatId));
  if (botIdx !== -1) {
    const [entry] = server.storage.botMessages.splice(botIdx, 1);
    s.deletes.push({ chat_id: chatIdValue(chatId), message_id: Number(messageId), by_bot_message: true,
      text: entry.message.text, time: Date.now() });
    return true;
  }
  const userIdx = server.storage.userMessages.findIndex((u) => u.botToken === token && u.message && u.message.chat
    && String(u.messageId) === String(messageId) && String(u.message.chat.id) === String(chatId));
  if (userIdx !== -1) {
    const [entry] = server.storage.userMessages.splice(userIdx, 1);
    s.deletes.push({ chat_id: chatIdValue(chatId), message_id: Number(messageId), by_bot_message: false,
      text: entry.message.text, time: Date.now() });
    return true;
  }
  return false;
}

bot('deleteMessage', (_req, res, s, token, b) => {
  if (b.chat_id === undefined || b.message_id === undefined) { badRequest(res, 'message identifier is not specified'); return; }
  if (!deleteOne(s, token, b.chat_id, b.message_id)) { badRequest(res, 'message to delete not found'); return; }
  ok(res, true);
});

bot('deleteMessages', (_req, res, s, token, b) => {
  const ids = Array.isArray(b.message_ids) ? b.message_ids : [];
  if (!ids.length) { badRequest(res, 'message identifiers are not specified'); return; }
  ids.forEach((id) => deleteOne(s, token, b.chat_id, id)); // Telegram skips messages it can't delete
  ok(res, true);
});

/* ---- Bot API: callback answers (telegram.md #8: stock answers null) */

bot('answerCallbackQuery', (_req, res, s, _token, b) => {
  const id = String(b.callback_query_id || '');
  if (!s.callbackIds.has(id)) { badRequest(res, 'query is too old and response timeout expired or query ID is invalid'); return; }
  s.answers.push({
    callback_query_id: id,
    text: b.text === undefined ? null : String(b.text),
    show_alert: bool(b.show_alert),
    url: b.url === undefined ? null : b.url,
    cache_time: num(b.cache_time, null),
    time: Date.now(),
  });
  ok(res, true);
});

/* ---- Bot API: photos and documents (multipart) */

function resolveFile(req, s, field) {
  const files = req.files || {};
  const value = req.body[field];
  if (files[field]) return files[field];
  if (typeof value === 'string' && value.startsWith('attach://') && files[value.slice(9)]) return files[value.slice(9)];
  if (typeof value === 'string' && value) {
    const known = s.media.find((x) => x.file_id === value);
    if (known) return { filename: known.filename, contentType: known.mime_type, data: Buffer.from(known.base64, 'base64'), reused: value };
    return { filename: null, contentType: null, data: null, reference: value }; // URL or foreign file_id
  }
  return null;
}

function sendMedia(kind) {
  return (req, res, s, token, b) => {
    if (b.chat_id === undefined || b.chat_id === '') { badRequest(res, 'chat_id is empty'); return; }
    const file = resolveFile(req, s, kind);
    if (!file) { badRequest(res, `there is no ${kind} in the request`); return; }
    if (file.data && file.data.length === 0) { badRequest(res, 'file must be non-empty'); return; }
    const caption = b.caption === undefined ? undefined : String(b.caption);
    if (caption && caption.length > MAX_CAPTION) { badRequest(res, 'message caption is too long'); return; }
    const n = s.media.length + 1;
    const size = file.data ? file.data.length : null;
    const dims = file.data ? imageSize(file.data) : { width: 0, height: 0, format: 'unknown' };
    const fileId = file.reused || `${kind}-${token.split(':')[0]}-${n}`;
    const message = { ...b, chat_id: b.chat_id };
    delete message[kind];
    if (caption !== undefined) message.caption = caption;
    if (kind === 'photo') {
      message.photo = [{ file_id: fileId, file_unique_id: `u${fileId}`, width: dims.width, height: dims.height,
        ...(size !== null ? { file_size: size } : {}) }];
    } else {
      message.document = { file_id: fileId, file_unique_id: `u${fileId}`,
        ...(file.filename ? { file_name: file.filename } : {}),
        ...(file.contentType ? { mime_type: file.contentType } : {}),
        ...(size !== null ? { file_size: size } : {}) };
    }
    const entry = storeBotMessage(token, message);
    s.media.push({
      kind,
      method: kind === 'photo' ? 'sendPhoto' : 'sendDocument',
      chat_id: chatIdValue(b.chat_id),
      message_id: entry.messageId,
      caption: caption === undefined ? null : caption,
      parse_mode: b.parse_mode || null,
      reply_markup: inlineMarkup(b.reply_markup) || null,
      file_id: fileId,
      filename: file.filename,
      mime_type: file.contentType,
      size,
      width: dims.width,
      height: dims.height,
      format: dims.format,
      sha256: file.data ? crypto.createHash('sha256').update(file.data).digest('hex') : null,
      base64: file.data ? file.data.toString('base64') : null,
      reference: file.reference || null, // photo given as URL / unknown file_id: no bytes
      time: Date.now(),
    });
    ok(res, apiMessage(s, entry));
  };
}
bot('sendPhoto', sendMedia('photo'));
bot('sendDocument', sendMedia('document'));

/* ---- Bot API: chat members (admin checks) */

function adminSet(s, chatId) {
  if (s.admins.has(String(chatId))) return s.admins.get(String(chatId));
  return DEFAULT_ADMINS.get(String(chatId)) || DEFAULT_ADMINS.get('*') || new Set();
}
const ADMIN_RIGHTS = {
  can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_delete_messages: true,
  can_manage_video_chats: true, can_restrict_members: true, can_promote_members: false, can_change_info: true,
  can_invite_users: true, can_post_stories: true, can_edit_stories: true, can_delete_stories: true,
  can_post_messages: true, can_edit_messages: true, can_pin_messages: true, can_manage_topics: true,
};
function memberFor(s, chatId, userId) {
  const user = userFor(s, userId);
  if (s.owners.get(String(chatId)) === String(userId)) return { status: 'creator', user, is_anonymous: false };
  if (adminSet(s, chatId).has(String(userId))) return { status: 'administrator', user, ...ADMIN_RIGHTS };
  return { status: 'member', user };
}

bot('getChatMember', (_req, res, s, _token, b) => {
  if (b.chat_id === undefined || b.user_id === undefined) { badRequest(res, 'chat_id or user_id is empty'); return; }
  const uid = Number(b.user_id);
  if (!Number.isFinite(uid)) { badRequest(res, 'invalid user_id specified'); return; }
  ok(res, memberFor(s, b.chat_id, uid));
});

bot('getChatAdministrators', (_req, res, s, _token, b) => {
  if (b.chat_id === undefined) { badRequest(res, 'chat_id is empty'); return; }
  const ids = [...adminSet(s, b.chat_id)];
  const owner = s.owners.get(String(b.chat_id));
  if (owner && !ids.includes(owner)) ids.unshift(owner);
  ok(res, ids.map((id) => memberFor(s, b.chat_id, Number(id))));
});

bot('getChatMemberCount', (_req, res, s, _token, b) => {
  const chat = chatFor(s, b.chat_id);
  ok(res, chat.type === 'private' ? 2 : Math.max(2, s.users.size + 1));
});

bot('getChat', (_req, res, s, _token, b) => {
  if (b.chat_id === undefined) { badRequest(res, 'chat_id is empty'); return; }
  ok(res, {
    ...chatFor(s, b.chat_id), accent_color_id: 0, max_reaction_count: 11,
    accepted_gift_types: { unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false,
      gifts_from_channels: false },
  });
});

/* ---- Bot API: commands and other start-up calls */

function commandsKey(b) {
  return `${JSON.stringify(b.scope || { type: 'default' })}|${b.language_code || ''}`;
}
bot('setMyCommands', (_req, res, s, _token, b) => {
  const commands = Array.isArray(b.commands) ? b.commands : null;
  if (!commands) { badRequest(res, 'commands must be an array of BotCommand'); return; }
  if (commands.length > 100) { badRequest(res, 'BOT_COMMANDS_TOO_MUCH'); return; }
  for (const c of commands) {
    if (!c || typeof c.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command)) { badRequest(res, 'BOT_COMMAND_INVALID'); return; }
    if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256) {
      badRequest(res, 'BOT_COMMAND_DESCRIPTION_INVALID'); return;
    }
  }
  s.commandsLog.push({ action: 'set', commands, scope: b.scope || null, language_code: b.language_code || null, time: Date.now() });
  s.commands.set(commandsKey(b), commands);
  ok(res, true);
});
bot('deleteMyCommands', (_req, res, s, _token, b) => {
  s.commandsLog.push({ action: 'delete', commands: [], scope: b.scope || null, language_code: b.language_code || null, time: Date.now() });
  s.commands.delete(commandsKey(b));
  ok(res, true);
});
bot('getMyCommands', (_req, res, s, _token, b) => ok(res, s.commands.get(commandsKey(b)) || []));

const TRUE_STUBS = ['sendChatAction', 'setChatMenuButton', 'setMyDescription', 'setMyShortDescription', 'setMyName',
  'pinChatMessage', 'unpinChatMessage', 'unpinAllChatMessages', 'leaveChat', 'setMyDefaultAdministratorRights'];
TRUE_STUBS.forEach((m) => bot(m, (_req, res) => ok(res, true)));
bot('getChatMenuButton', (_req, res) => ok(res, { type: 'default' }));
bot('getMyDescription', (_req, res) => ok(res, { description: '' }));
bot('getMyShortDescription', (_req, res) => ok(res, { short_description: '' }));
bot('getMyName', (_req, res) => ok(res, { name: BOT_USER.first_name }));

// Anything else except setWebhook (stock) is not emulated: a Bot-API-shaped error PTB shows as NetworkError.
app.all('/bot:token/:method', (req, res, next) => {
  if (req.params.method.toLowerCase() === 'setwebhook') { next(); return; }
  process.stderr.write(`[tg-emulator] Bot API method '${req.params.method}' is not emulated\n`);
  fail(res, 500, `telegram-test-api emulator: Bot API method '${req.params.method}' is not emulated`);
});

/* ------------------------------------------------------------------ client ("user side") routes */

function client(route, handler) {
  app.post(route, async (req, res) => {
    try {
      await handler(req, res, req.body || {});
    } catch (e) {
      res.status(400).json({ ok: false, error_code: 400, description: String(e && e.message ? e.message : e) });
    }
  });
}
function needToken(body) {
  const token = tokenOf(body);
  if (!token) throw new Error('botToken (or token) is required');
  return token;
}
function userMessage(body, token) {
  const msg = { ...body };
  delete msg.token;
  msg.botToken = token;
  if (msg.date === undefined) msg.date = nowSec();
  if (!msg.chat || msg.chat.id === undefined) throw new Error('chat {id, type} is required');
  if (!msg.from || msg.from.id === undefined) throw new Error('from {id, first_name} is required');
  if (msg.from.is_bot === undefined) msg.from = { ...msg.from, is_bot: false };
  return msg;
}

client('/sendMessage', async (_req, res, body) => {
  const token = needToken(body);
  const msg = userMessage(body, token);
  remember(st(token), msg.chat, msg.from);
  const ids = { message_id: server.messageId, update_id: server.updateId };
  await server.addUserMessage(msg);
  ok(res, ids);
});

client('/sendCommand', async (_req, res, body) => {
  const token = needToken(body);
  const msg = userMessage(body, token);
  if (!Array.isArray(msg.entities) || !msg.entities.some((e) => e.type === 'bot_command')) {
    throw new Error('a command needs entities with a bot_command entity');
  }
  remember(st(token), msg.chat, msg.from);
  const ids = { message_id: server.messageId, update_id: server.updateId };
  await server.addUserCommand(msg);
  ok(res, ids);
});

client('/sendCallback', async (_req, res, body) => {
  const token = needToken(body);
  if (!body.from || body.from.id === undefined) throw new Error('from {id, first_name} is required');
  if (!body.message && !body.inline_message_id) throw new Error('message (the full bot Message) is required');
  const s = st(token);
  const cb = { ...body, botToken: token, from: { is_bot: false, ...body.from } };
  delete cb.token;
  if (cb.message && cb.message.chat) remember(s, cb.message.chat, cb.from);
  else remember(s, null, cb.from);
  const ids = { callback_query_id: String(server.callbackId), update_id: server.updateId };
  s.callbackIds.add(ids.callback_query_id);
  await server.addUserCallback(cb);
  ok(res, ids);
});

client('/sendUpdate', async (_req, res, body) => {
  const token = needToken(body);
  if (!body.update || typeof body.update !== 'object') throw new Error('update (a raw Update object) is required');
  const s = st(token);
  for (const v of Object.values(body.update)) {
    if (v && typeof v === 'object') remember(s, v.chat || (v.message && v.message.chat), v.from || v.user);
  }
  const updateId = server.updateId;
  await server.addUserUpdate({
    time: Date.now(), botToken: token, updateId, messageId: server.messageId, isRead: false, rawUpdate: body.update,
  });
  ok(res, { update_id: updateId });
});

client('/getBotMessages', (_req, res, body) => {
  const token = needToken(body);
  const s = st(token);
  const chatId = body.chatId !== undefined ? body.chatId : body.chat_id;
  const list = server.storage.botMessages
    .filter((u) => u.botToken === token && (chatId === undefined || String(u.message.chat_id) === String(chatId)))
    .sort((a, b) => a.messageId - b.messageId)
    .map((u) => ({ ...apiMessage(s, u), params: u.message }));
  ok(res, list);
});

client('/setAdmins', (_req, res, body) => {
  const token = needToken(body);
  const chatId = body.chatId !== undefined ? body.chatId : body.chat_id;
  if (chatId === undefined) throw new Error('chatId is required');
  const s = st(token);
  s.admins.set(String(chatId), new Set((body.userIds || body.user_ids || []).map(String)));
  if (body.ownerId !== undefined && body.ownerId !== null) s.owners.set(String(chatId), String(body.ownerId));
  else s.owners.delete(String(chatId));
  ok(res, true);
});

client('/failNext', (_req, res, body) => {
  const token = needToken(body);
  if (!body.method) throw new Error('method is required');
  const count = Math.trunc(num(body.count, 1));
  const retryAfter = Math.trunc(num(body.retryAfter, 1));
  const errorCode = Math.trunc(num(body.errorCode, 429));
  const s = st(token);
  if (count <= 0) s.failures.delete(String(body.method).toLowerCase());
  else s.failures.set(String(body.method).toLowerCase(), { count, retryAfter, errorCode, description: body.description || null });
  ok(res, true);
});

const LOGS = {
  '/getEdits': 'edits',
  '/getCallbackAnswers': 'answers',
  '/getDeletes': 'deletes',
  '/getMyCommandsLog': 'commandsLog',
  '/getCalls': 'calls',
};
Object.entries(LOGS).forEach(([route, key]) => client(route, (_req, res, body) => ok(res, st(needToken(body))[key])));
client('/getPhotos', (_req, res, body) => ok(res, st(needToken(body)).media.filter((x) => x.kind === 'photo')));
client('/getDocuments', (_req, res, body) => ok(res, st(needToken(body)).media.filter((x) => x.kind === 'document')));

client('/reset', (_req, res, body) => {
  const token = needToken(body);
  states.delete(token);
  server.storage.userMessages = server.storage.userMessages.filter((u) => u.botToken !== token);
  server.storage.botMessages = server.storage.botMessages.filter((u) => u.botToken !== token);
  server.deleteWebhook(token);
  ok(res, true);
});

app.get('/health', (_req, res) => ok(res, { bot: BOT_USER }));

// Stock routes that are left: /getUpdates, /getUpdatesHistory (client) and setWebhook (bot).
app.use(server.webServer);

// eslint-disable-next-line no-unused-vars
app.use((err, _req, res, _next) => {
  process.stderr.write(`[tg-emulator] error: ${err && err.stack ? err.stack : err}\n`);
  if (!res.headersSent) res.status(err.status || 500).json({ ok: false, error_code: err.status || 500, description: String(err.message || err) });
});

/* ------------------------------------------------------------------ start / stop */

const args = process.argv.slice(2);
const portArg = args.find((a) => /^\d+$/.test(a));
const port = Number(portArg !== undefined ? portArg : (process.env.TG_PORT || 0));
const httpServer = http.createServer(app);
httpServer.keepAliveTimeout = 5000;

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const p of [...pollers]) p.stop(); // answer pending long polls so clients are not left hanging
  httpServer.close(() => process.exit(code));
  httpServer.closeIdleConnections();
  setTimeout(() => { httpServer.closeAllConnections(); process.exit(code); }, 1000).unref();
}
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
if (args.includes('--exit-on-stdin-close')) {
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => stop(0));
  process.stdin.on('error', () => stop(0));
}

httpServer.on('error', (e) => {
  process.stderr.write(`[tg-emulator] cannot listen on 127.0.0.1:${port}: ${e.message}\n`);
  process.exit(1);
});
httpServer.listen(port, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${httpServer.address().port}`;
  server.config.apiURL = url;
  process.stdout.write(`READY ${url}\n`);
});
