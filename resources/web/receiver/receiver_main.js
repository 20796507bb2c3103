// The browser receiver (SPEC.md §11): opens https://HOST/s/<id>#<secret> in the page itself.
//
// The secret is read from location.hash here and never sent: every request goes to this origin's
// API with relative URLs, the page and every request carry no Referer, and the CSP allows no other
// origin. Text from the relay or the sender (error codes, names, the note, a text share) is shown
// with textContent only, after OtsFormat.visibleText; a relay's own error sentences are never shown.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  // Shares whose ciphertext is at most this size are decrypted and verified completely in memory
  // before anything is saved; larger ones stream to disk through download_worker.js.
  const VERIFY_FIRST_LIMIT = 64 * 1024 * 1024;
  // A text share is shown in the page up to this size (as the app does); larger ones are saved.
  const TEXT_IN_PAGE_LIMIT = 16 * 1024 * 1024;
  // How long a download keeps retrying a relay that stopped answering before it gives up.
  const GIVE_UP_AFTER_MS = 10 * 60 * 1000;
  const PASSWORD_MAX_BYTES = 4096;

  const views = ['view-loading', 'view-relay', 'view-password', 'view-details', 'view-progress',
    'view-done', 'view-text'];

  let place = null; // { shareId, shareIdBytes, secret }
  let info = null; // public info
  let keys = null;
  let metadata = null;
  let retryAction = null;

  // ---- presentation -------------------------------------------------------------------------

  function show(state, view) {
    $('state').dataset.state = state;
    for (const id of views) $(id).hidden = id !== view;
    if (state !== 'error') $('error').hidden = true;
  }

  const ERRORS = {
    expired: ['This share has expired', 'The sender set it to be deleted after a while, and that time has passed. Ask them to send it again.'],
    deleted: ['This share was deleted', 'The sender deleted it before it was downloaded. Ask them to send it again if you still need it.'],
    downloaded: ['This share was already downloaded', 'It allowed a limited number of downloads and they have all been used, so the relay deleted it. If that was not you, tell the sender.'],
    removed: ['This share was removed', 'The relay’s operator removed it. Ask the sender to send it again.'],
    no_downloads_left: ['No downloads left', 'Every download this share allows is being used or has been used. If that was not you, tell the sender.'],
    not_found: ['This share does not exist', 'The relay does not know this share: it never existed here, or it was deleted long ago. Check that you opened the whole link.'],
    not_ready: ['This share is still being uploaded', 'The sender’s upload has not finished yet. Try again in a moment.'],
    locked: ['This share is locked', 'Too many wrong passwords were tried. The sender can unlock it; ask them, and check the password with them.'],
    link_damaged: ['The link is damaged or incomplete', 'Part of the link is missing or changed, so the share cannot be opened. Copy the whole link again from the message you received, including the part after #.'],
    relay_unavailable: ['The relay is not answering', 'The server that holds this share could not be reached or is busy. Check your connection and try again.'],
    tampered: ['The share was damaged or altered', 'What the relay sent does not match what the sender encrypted, so it was refused. Nothing was saved. Try again; if it happens again, ask the sender to send it again.'],
    truncated: ['The download was incomplete', 'The share ended before all of it arrived, so it was refused and nothing was saved. Try again.'],
    unsupported_browser: ['This browser cannot save large files from a page', 'It cannot stream a download to disk (private windows in some browsers cannot). Open the link in a normal window of a current Chrome, Edge, Firefox or Safari, or in the OneTimeShare app.'],
    storage: ['The file could not be saved', 'The browser refused to save the download. Check the free space and the browser’s download settings, then try again.'],
    unreadable: ['This share cannot be opened here', 'It was made in a way this page does not understand (a newer version of OneTimeShare?), or its contents break the rules that keep received files safe.'],
    cancelled: ['The download was cancelled', 'The browser stopped the download. Your download is still reserved for a while: press Try again to start it again.'],
  };

  function fail(code, retry) {
    const [title, text] = ERRORS[code] || ERRORS.unreadable;
    $('error-title').textContent = title;
    $('error-text').textContent = text;
    $('error').dataset.code = code;
    retryAction = retry || null;
    $('retry').hidden = !retry;
    $('state').dataset.state = 'error';
    for (const id of views) $(id).hidden = true;
    $('error').hidden = false;
    // The app cannot help with a share that is gone or a link that is damaged.
    $('app-offer').hidden = !APP_HELPS.includes(code) || !place;
    $('error').focus();
  }
  const APP_HELPS = ['relay_unavailable', 'unsupported_browser', 'storage', 'unreadable', 'cancelled'];

  const sizeFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  function formatBytes(n) {
    const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
    let value = n;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit += 1;
    }
    if (unit === 0) return n === 1 ? '1 byte' : sizeFormat.format(n) + ' bytes';
    return sizeFormat.format(value) + ' ' + units[unit];
  }
  function plural(n, one, many) {
    return (n === 1 ? one : many).replace('%n', new Intl.NumberFormat().format(n));
  }
  function formatTime(unixSeconds) {
    return new Date(unixSeconds * 1000).toLocaleString(undefined,
      { dateStyle: 'medium', timeStyle: 'short' });
  }
  function visible(text) {
    return OtsFormat.visibleText(String(text));
  }

  // ---- the relay's API ----------------------------------------------------------------------

  class RelayError extends Error {
    constructor(status, code, body) {
      super('relay answered ' + status);
      this.status = status;
      this.code = code;
      this.body = body;
    }
  }
  class Unreachable extends Error {}

  function apiPath(suffix) {
    return '/api/v1/shares/' + place.shareId + suffix;
  }

  // A relay's answer is data: only known codes decide anything, and only fields of the right type
  // are read. Bodies are refused above 64 KiB (a relay has no reason to send more).
  async function readJson(response) {
    const length = Number(response.headers.get('Content-Length'));
    if (Number.isFinite(length) && length > 65536) return null;
    const text = await response.text();
    if (text.length > 65536) return null;
    try {
      const value = JSON.parse(text);
      return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
    } catch (e) {
      return null;
    }
  }

  async function call(method, suffix, body, bearer) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (bearer) headers.Authorization = 'Bearer ' + bearer;
    let response;
    try {
      response = await fetch(apiPath(suffix), {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer', redirect: 'error',
      });
    } catch (e) {
      throw new Unreachable('network');
    }
    const json = await readJson(response).catch(() => null);
    if (response.ok) {
      if (!json) throw new RelayError(response.status, 'bad_answer', null);
      return { status: response.status, body: json };
    }
    const code = json && typeof json.error === 'string' ? json.error : 'unknown';
    throw new RelayError(response.status, code, json);
  }

  // Retries what a relay asks to retry (429 with Retry-After, 503) a few times before giving up.
  async function callPatiently(method, suffix, body, bearer) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await call(method, suffix, body, bearer);
      } catch (e) {
        const transient = e instanceof Unreachable ||
          (e instanceof RelayError && (e.status === 429 || e.status === 503 || e.status === 500));
        if (!transient || attempt >= 3) throw e;
        await sleep(Math.min(8000, 500 * 2 ** attempt));
      }
    }
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // Maps a failure to the page's own words; anything not understood is "unreadable".
  function codeFor(e) {
    if (e instanceof Unreachable) return 'relay_unavailable';
    if (e instanceof RelayError) {
      const known = ['expired', 'deleted', 'downloaded', 'removed', 'no_downloads_left', 'not_found',
        'locked'];
      if (known.includes(e.code)) return e.code;
      if (e.code === 'link_invalid') return 'link_damaged';
      if (e.code === 'not_ready') return 'not_ready';
      if (e.status === 503 || e.status === 500 || e.status === 429 || e.status === 502 ||
          e.status === 504) return 'relay_unavailable';
      return 'unreadable';
    }
    if (e instanceof OtsFormat.OtsError) {
      if (e.code.startsWith('link.')) return 'link_damaged';
      if (e.code === 'stream.truncated' || e.code === 'container.truncated') return 'truncated';
      if (e.code === 'stream.wrong_key') return 'link_damaged';
      if (e.code.startsWith('stream.') || e.code.startsWith('metadata.auth')) return 'tampered';
      return 'unreadable';
    }
    return 'unreadable';
  }

  // ---- opening a share: public info, password, metadata ---------------------------------------

  async function start() {
    let pathIsShare = /^\/s\//.test(location.pathname);
    if (!pathIsShare) {
      $('lead').hidden = true;
      show('relay', 'view-relay');
      return;
    }
    try {
      place = OtsFormat.parsePageLocation(location.pathname, location.hash);
    } catch (e) {
      fail('link_damaged');
      return;
    }
    offerApp();
    try {
      await OtsFormat.ready();
    } catch (e) {
      fail('unsupported_browser');
      return;
    }
    await openShare();
  }

  async function openShare() {
    show('loading', 'view-loading');
    try {
      const answer = await callPatiently('GET', '');
      info = checkInfo(answer.body);
    } catch (e) {
      fail(codeFor(e), codeFor(e) === 'relay_unavailable' || codeFor(e) === 'not_ready' ? openShare : null);
      return;
    }
    if (info.state === 'locked') {
      fail('locked');
      return;
    }
    if (info.state === 'uploading') {
      fail('not_ready', openShare);
      return;
    }
    if (info.downloadsLeft === 0 && !heldTicket()) {
      // Every download is reserved or used; a browser that holds one of them goes on below.
      fail('no_downloads_left');
      return;
    }
    if (info.passwordRequired) {
      askPassword();
      return;
    }
    try {
      keys = OtsFormat.deriveKeys(await OtsFormat.deriveShareKey(place.secret, null, null), place.secret);
    } catch (e) {
      fail(codeFor(e));
      return;
    }
    await loadMetadata();
  }

  // Only what SPEC §10.4 allows, each of the right type; anything else is a relay we do not trust.
  function checkInfo(body) {
    const isCount = (v) => Number.isSafeInteger(v) && v >= 0;
    if (!['uploading', 'ready', 'locked'].includes(body.state) || !isCount(body.size) ||
        !isCount(body.expiresAt) || !isCount(body.downloadsLeft) ||
        typeof body.passwordRequired !== 'boolean') {
      throw new RelayError(200, 'bad_answer', null);
    }
    if (body.state !== 'uploading' && !OtsFormat.isValidCiphertextSize(body.size)) {
      throw new RelayError(200, 'bad_answer', null);
    }
    if (body.passwordRequired) {
      const kdf = body.kdf;
      if (!kdf || typeof kdf.salt !== 'string' || !isCount(kdf.iterations) ||
          !isCount(kdf.memoryKiB) || !isCount(kdf.parallelism)) {
        throw new RelayError(200, 'bad_answer', null);
      }
    }
    return {
      state: body.state, size: body.size, expiresAt: body.expiresAt,
      downloadsLeft: body.downloadsLeft, passwordRequired: body.passwordRequired,
      attemptsLeft: isCount(body.attemptsLeft) ? body.attemptsLeft : null,
      kdf: body.passwordRequired ? body.kdf : null,
    };
  }

  function showAttempts(left) {
    $('attempts').textContent = left === null ? '' :
      plural(left, '%n attempt left before the share locks.', '%n attempts left before the share locks.');
  }

  function askPassword() {
    show('password', 'view-password');
    showAttempts(info.attemptsLeft);
    try {
      OtsFormat.checkKdf(1, info.kdf);
    } catch (e) {
      // A relay that weakens or inflates the key derivation is refused before any password is typed.
      fail('unreadable');
      return;
    }
    $('password').focus();
  }

  async function onPasswordSubmit(event) {
    event.preventDefault();
    const password = $('password').value;
    const hint = $('password-hint');
    if (password.length === 0) {
      hint.textContent = 'Type the password the sender gave you.';
      hint.dataset.code = 'empty';
      return;
    }
    if (new TextEncoder().encode(password.normalize('NFC')).length > PASSWORD_MAX_BYTES) {
      hint.textContent = 'That password is longer than any OneTimeShare password (4096 bytes).';
      return;
    }
    $('unlock').disabled = true;
    $('password').disabled = true;
    hint.textContent = 'Checking the password… this takes a moment, longer on a phone.';
    hint.dataset.code = 'checking';
    await sleep(30); // let the message paint before the key derivation holds the thread
    try {
      const shareKey = await OtsFormat.deriveShareKey(place.secret, password, info.kdf);
      keys = OtsFormat.deriveKeys(shareKey, place.secret);
      await loadMetadata();
    } catch (e) {
      if (e instanceof RelayError && e.code === 'proof_invalid') {
        const left = e.body && Number.isSafeInteger(e.body.attemptsLeft) ? e.body.attemptsLeft : null;
        hint.textContent = 'That password is not right.';
        hint.dataset.code = 'wrong_password';
        showAttempts(left);
        if (left === 0) {
          fail('locked');
          return;
        }
      } else {
        fail(codeFor(e), codeFor(e) === 'relay_unavailable' ? openShare : null);
        return;
      }
    } finally {
      $('unlock').disabled = false;
      $('password').disabled = false;
    }
    if ($('state').dataset.state === 'password') {
      $('password').select();
      $('password').focus();
    }
  }

  // One proof (SPEC §3.4, §3.5) over a fresh challenge, sent to `endpoint` with `extra` fields.
  async function prove(endpoint, extra) {
    const challenge = await callPatiently('POST', '/challenge', {});
    if (typeof challenge.body.nonce !== 'string') throw new RelayError(200, 'bad_answer', null);
    const nonce = OtsFormat.b64u.decode(challenge.body.nonce, 32);
    const proof = OtsFormat.proof(keys, place.shareIdBytes, nonce);
    return call('POST', endpoint, Object.assign({
      nonce: challenge.body.nonce,
      signature: OtsFormat.b64u.encode(proof.signature),
      linkSignature: OtsFormat.b64u.encode(proof.linkSignature),
    }, extra || {}));
  }

  async function loadMetadata() {
    let answer;
    try {
      answer = await prove('/metadata');
    } catch (e) {
      // Without a password, a refused download proof after an accepted link proof means the link's
      // key does not open this share: the link is damaged (or the relay is not the sender's).
      if (e instanceof RelayError && e.code === 'proof_invalid' && !info.passwordRequired) {
        fail('link_damaged');
        return;
      }
      throw e;
    }
    if (typeof answer.body.metadata !== 'string') throw new RelayError(200, 'bad_answer', null);
    let envelope;
    try {
      envelope = Uint8Array.from(atob(answer.body.metadata), (c) => c.charCodeAt(0));
    } catch (e) {
      throw new RelayError(200, 'bad_answer', null);
    }
    metadata = OtsFormat.parseMetadata(OtsFormat.openMetadata(keys, envelope));
    showDetails();
  }

  // ---- what the share holds, before anything counts ------------------------------------------

  function showDetails() {
    show('details', 'view-details');
    const list = $('files');
    list.textContent = '';
    const isText = metadata.kind === 'text';
    if (isText) {
      $('details-title').textContent = 'A message';
      $('summary').textContent = 'The sender sent you a text (' + formatBytes(metadata.totalBytes) + ').';
      list.hidden = true;
    } else {
      $('summary').textContent = [
        plural(metadata.fileCount, '%n file', '%n files'),
        metadata.folderCount ? plural(metadata.folderCount, '%n folder', '%n folders') : null,
        formatBytes(metadata.totalBytes),
      ].filter(Boolean).join(' · ');
      const shown = metadata.entries.slice(0, 1000);
      for (const entry of shown) {
        const item = document.createElement('li');
        item.className = entry.type;
        const name = document.createElement('span');
        name.className = 'name';
        name.textContent = visible(entry.path);
        item.appendChild(name);
        const size = document.createElement('span');
        size.className = 'size';
        size.textContent = entry.type === 'file' ? formatBytes(entry.size) : 'folder';
        item.appendChild(size);
        list.appendChild(item);
      }
      list.hidden = shown.length === 0;
      const total = metadata.fileCount + metadata.folderCount;
      $('more-files').hidden = shown.length >= total;
      $('more-files').textContent = plural(total - shown.length, '… and %n more entry.', '… and %n more entries.');
    }
    if (typeof metadata.note === 'string' && metadata.note.length > 0) {
      $('note').textContent = metadata.note.split('\n').map(visible).join('\n');
      $('note-box').hidden = false;
    } else {
      $('note-box').hidden = true;
    }
    $('expires').textContent = formatTime(info.expiresAt);
    $('downloads-left').textContent = String(info.downloadsLeft);
    const held = heldTicket();
    $('held').hidden = !held;
    if (held) {
      $('held').textContent = 'This browser already started downloading this share; continuing uses no further download.';
    }
    $('download').textContent = isText ? 'Show the message' : (held ? 'Resume download' : 'Download');
    $('download').disabled = false;
    if (needsStreaming()) {
      // Checked before anything is reserved: a browser that cannot stream to disk (no Service
      // Worker, as in some private windows) is told so while the share is still untouched.
      $('download').disabled = true;
      $('state').dataset.state = 'preparing';
      WorkerDownload.worker().then(() => {
        $('download').disabled = false;
        $('state').dataset.state = 'details';
        $('download').focus();
      }, () => fail('unsupported_browser'));
    }
    $('download-note').textContent = held ? '' : (info.downloadsLeft === 1 ?
      'This is the last download the share allows: once it starts, nobody else can download it.' :
      'Starting the download uses one of the downloads the share allows.');
    $('download').focus();
  }

  // ---- the download ticket (SPEC §10.6): chosen here, kept until finish ----------------------

  function ticketKey() {
    return 'ots-ticket:' + location.origin + '/' + place.shareId;
  }
  function heldTicket() {
    try {
      const saved = JSON.parse(localStorage.getItem(ticketKey()) || 'null');
      if (saved && typeof saved.ticket === 'string' && saved.lapsesAt > Date.now()) return saved;
      localStorage.removeItem(ticketKey());
    } catch (e) {
      // Storage unavailable (a private window): the ticket lives in memory only.
    }
    return null;
  }
  function keepTicket(ticket, lapsesAt) {
    try {
      localStorage.setItem(ticketKey(), JSON.stringify({ ticket, lapsesAt }));
    } catch (e) {
      // As above: memory only.
    }
  }
  function forgetTicket() {
    try {
      localStorage.removeItem(ticketKey());
    } catch (e) {
      // Nothing was stored.
    }
  }

  async function reserve() {
    const held = heldTicket();
    const ticket = held ? held.ticket : OtsFormat.b64u.encode(sodium.randombytes_buf(32));
    // Saved before the request: a reservation whose answer is lost is not lost with it.
    keepTicket(ticket, held ? held.lapsesAt : Date.now() + 60 * 60 * 1000);
    let answer;
    for (let attempt = 0; ; attempt += 1) {
      try {
        answer = await prove('/reservations', { ticket });
        break;
      } catch (e) {
        if (e instanceof RelayError && e.status === 401 && held && attempt === 0) {
          forgetTicket(); // the held ticket lapsed or was finished: reserve anew, once
          return reserve();
        }
        // The challenge inside prove() was already retried patiently; what is retried here is a
        // reservation whose answer was lost or refused for a moment, safely: the same ticket never
        // reserves twice (SPEC §10.6).
        const transient = e instanceof Unreachable || (e instanceof RelayError &&
          (e.status === 503 || e.status === 500 || e.status === 429 || e.code === 'challenge_invalid'));
        if (!transient || attempt >= 2) throw e;
        await sleep(1000 * (attempt + 1));
      }
    }
    const body = answer.body;
    if (body.ticket !== ticket || body.size !== info.size || !Number.isSafeInteger(body.expiresIn) ||
        body.expiresIn <= 0) {
      throw new RelayError(answer.status, 'bad_answer', null);
    }
    keepTicket(ticket, Date.now() + body.expiresIn * 1000);
    return ticket;
  }

  // ---- fetching and decrypting ----------------------------------------------------------------

  // Fetches the ciphertext from reader.consumed onwards and feeds it to `reader`, resuming with Range
  // on the same ticket whenever the connection drops; `onPayload` gets each authenticated piece.
  async function pump(ticket, reader, onPayload, onProgress) {
    let lastProgressAt = Date.now();
    let failures = 0;
    while (!reader.complete) {
      const from = reader.consumed;
      let response = null;
      try {
        response = await fetch(apiPath('/content'), {
          headers: { Authorization: 'Bearer ' + ticket, Range: 'bytes=' + from + '-' },
          cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer', redirect: 'error',
        });
      } catch (e) {
        response = null;
      }
      if (response && (response.status === 206 || response.status === 200)) {
        const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('Content-Range') || '');
        let skip = 0;
        if (response.status === 206) {
          if (!range || Number(range[1]) !== from || Number(range[3]) !== info.size) {
            throw new RelayError(206, 'bad_answer', null);
          }
        } else {
          skip = from; // a relay that ignored Range sends everything again
        }
        const body = response.body.getReader();
        try {
          for (;;) {
            const { done, value } = await body.read();
            if (done) break;
            let bytes = value;
            if (skip > 0) {
              const dropped = Math.min(skip, bytes.length);
              skip -= dropped;
              bytes = bytes.subarray(dropped);
              if (bytes.length === 0) continue;
            }
            const pieces = reader.push(bytes);
            for (const piece of pieces) await onPayload(piece);
            onProgress(reader.consumed, false);
            lastProgressAt = Date.now();
            failures = 0;
          }
        } catch (e) {
          if (e instanceof OtsFormat.OtsError || e instanceof CancelledError) {
            body.cancel().catch(() => {});
            throw e;
          }
          // The connection dropped mid-body: resume below.
        }
        if (reader.complete) break;
      } else if (response && (response.status === 401 || response.status === 410 ||
                              response.status === 404 || response.status === 416)) {
        const json = await readJson(response).catch(() => null);
        throw new RelayError(response.status, json && typeof json.error === 'string' ? json.error : 'unknown', json);
      }
      // Dropped, refused or a 5xx: wait and resume from where the stream stopped.
      if (Date.now() - lastProgressAt > GIVE_UP_AFTER_MS) throw new Unreachable('gave up');
      failures += 1;
      onProgress(reader.consumed, true);
      await sleep(Math.min(15000, 400 * 2 ** Math.min(failures, 6)));
    }
    reader.end();
  }

  class CancelledError extends Error {}

  // The container's entries become one file (a single-file share) or one ZIP, written to `sink`.
  // The metadata describes the share; the container decides. Where the two disagree (a malicious
  // sender), the download fails rather than saving something other than what was shown.
  function plan() {
    const single = metadata.kind === 'text' ||
      (metadata.fileCount === 1 && metadata.folderCount === 0 && !metadata.truncated &&
       metadata.entries.length === 1 && metadata.entries[0].type === 'file');
    if (single) {
      const entry = metadata.entries[0];
      return { single: true, name: safeName(baseName(entry.path), 'download'), size: entry.size };
    }
    const tops = new Set(metadata.entries.map((e) => e.path.split('/')[0]));
    const name = (tops.size === 1 ? safeName([...tops][0], 'OneTimeShare') : 'OneTimeShare') + '.zip';
    const size = metadata.truncated ? null : OtsZip.ZipWriter.totalSize(
      metadata.entries.map((e) => ({ path: e.path, folder: e.type === 'folder', size: e.size || 0, mtime: 0 })));
    return { single: false, name, size };
  }

  // The download's name comes from the metadata, which decides nothing (SPEC §5.1) and is named before
  // the container has been read (or, for a shortened list, is never compared with it): a name that
  // breaks §6.3 (a right-to-left override that disguises an extension, a control character, `..`)
  // is never handed to the browser.
  function safeName(name, fallback) {
    try {
      OtsFormat.checkEntryPath(name, onWindows());
      return name;
    } catch (e) {
      return fallback;
    }
  }

  function baseName(path) {
    const parts = path.split('/');
    return parts[parts.length - 1] || 'download';
  }

  // Turns payload pieces into the bytes of the saved file, checking them against the plan.
  function makeUnpacker(theplan, write) {
    const container = new OtsFormat.ContainerReader({ windows: onWindows() });
    const zip = theplan.single ? null : new OtsZip.ZipWriter();
    let entryIndex = -1;
    let open = false;
    const mismatch = () => new OtsFormat.OtsError('container.malformed');
    return {
      async push(piece) {
        for (const event of container.push(piece)) {
          if (event.type === 'entry') {
            entryIndex += 1;
            const described = metadata.entries[entryIndex];
            if (!metadata.truncated && (!described || described.path !== event.path ||
                described.type !== event.kind || (event.kind === 'file' && described.size !== event.size))) {
              throw mismatch();
            }
            if (theplan.single) {
              if (entryIndex > 0 || event.kind !== 'file') throw mismatch();
            } else {
              if (open) await write(zip.endEntry());
              await write(zip.begin({ path: event.path, folder: event.kind === 'folder', size: event.size, mtime: event.mtime }));
              open = true;
            }
          } else if (event.type === 'data') {
            await write(theplan.single ? event.bytes : zip.data(event.bytes));
          }
        }
      },
      async end() {
        container.end();
        if (entryIndex < 0 || (!metadata.truncated && entryIndex + 1 !== metadata.entries.length)) {
          throw mismatch();
        }
        if (!theplan.single) {
          if (open) await write(zip.endEntry());
          await write(zip.finish());
        }
      },
    };
  }

  function onWindows() {
    const platform = (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || '';
    return /^win/i.test(platform);
  }

  function progressReporter() {
    const bar = $('progress');
    const text = $('progress-text');
    bar.max = info.size;
    const started = Date.now();
    let lastText = 0;
    return (consumed, retrying) => {
      bar.value = consumed;
      const now = Date.now();
      if (!retrying && now - lastText < 250 && consumed < info.size) return;
      lastText = now;
      const seconds = Math.max(0.001, (now - started) / 1000);
      $('state').dataset.state = retrying ? 'retrying' : 'downloading';
      text.textContent = retrying ?
        'The connection dropped at ' + formatBytes(consumed) + '. Reconnecting to continue from there…' :
        formatBytes(consumed) + ' of ' + formatBytes(info.size) + ' · ' + formatBytes(consumed / seconds) + '/s';
    };
  }

  async function onDownload() {
    $('download').disabled = true;
    show('downloading', 'view-progress');
    $('progress').value = 0;
    $('progress-text').textContent = 'Reserving your download…';
    let ticket;
    try {
      ticket = await reserve();
    } catch (e) {
      fail(codeFor(e), codeFor(e) === 'relay_unavailable' ? onDownload : null);
      return;
    }
    const theplan = plan();
    try {
      if (showsTextInPage()) {
        await receiveText(ticket);
      } else if (!needsStreaming()) {
        await receiveVerifiedFirst(ticket, theplan);
      } else {
        await receiveStreaming(ticket, theplan);
      }
    } catch (e) {
      if (e instanceof CancelledError) {
        fail('cancelled', onDownload);
        return;
      }
      const code = e instanceof DownloadUnsupported ? 'unsupported_browser' : codeFor(e);
      fail(code, code === 'relay_unavailable' || code === 'truncated' ? onDownload : null);
      return;
    }
    await finish(ticket);
  }

  function showsTextInPage() {
    return metadata.kind === 'text' && info.size <= TEXT_IN_PAGE_LIMIT + 65536;
  }
  function needsStreaming() {
    return !showsTextInPage() && info.size > VERIFY_FIRST_LIMIT;
  }

  async function finish(ticket) {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await call('POST', '/finish', {}, ticket);
        break;
      } catch (e) {
        // Not finished: the ticket lapses on its own and the download counts as used (SPEC §10.8).
        if (!(e instanceof Unreachable) && !(e instanceof RelayError && e.status >= 500)) break;
        await sleep(1000 * (attempt + 1));
      }
    }
    forgetTicket();
  }

  async function receiveText(ticket) {
    const reader = new OtsFormat.StreamReader(keys, info.size);
    const parts = [];
    const unpacker = makeUnpacker({ single: true }, async (bytes) => { parts.push(bytes.slice()); });
    await pump(ticket, reader, (piece) => unpacker.push(piece), progressReporter());
    await unpacker.end();
    const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
    const text = new TextDecoder('utf-8').decode(bytes);
    const name = baseName(metadata.entries[0].path);
    $('text').textContent = text;
    $('save-text').onclick = () => saveBlob(new Blob(parts, { type: 'text/plain;charset=utf-8' }), name);
    $('copy-text').onclick = async () => {
      try {
        await navigator.clipboard.writeText(text);
        $('copy-status').textContent = 'Copied.';
      } catch (e) {
        $('copy-status').textContent = 'The browser did not allow copying; select the text and copy it.';
      }
    };
    show('text', 'view-text');
    $('text').focus();
  }

  async function receiveVerifiedFirst(ticket, theplan) {
    const reader = new OtsFormat.StreamReader(keys, info.size);
    const parts = [];
    const unpacker = makeUnpacker(theplan, async (bytes) => { parts.push(bytes.slice()); });
    await pump(ticket, reader, (piece) => unpacker.push(piece), progressReporter());
    await unpacker.end();
    // Everything is authenticated (the final chunk, the container's end): only now is it saved.
    saveBlob(new Blob(parts, { type: 'application/octet-stream' }), theplan.name);
    done(theplan);
  }

  function saveBlob(blob, name) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60 * 1000);
  }

  function done(theplan) {
    show('done', 'view-done');
    $('app-offer').hidden = true;
    $('done-text').textContent = 'Saved as “' + visible(theplan.name) + '” in your downloads. ' +
      (info.downloadsLeft > 1 ? 'The share allows further downloads until it expires.' :
        'The relay deletes the share now.');
    $('done-title').focus();
  }

  class DownloadUnsupported extends Error {}

  async function receiveStreaming(ticket, theplan) {
    const reader = new OtsFormat.StreamReader(keys, info.size);
    const sink = await WorkerDownload.open(theplan.name, theplan.size);
    let written = 0;
    const write = async (bytes) => {
      written += bytes.length;
      if (theplan.size !== null && written > theplan.size) throw new OtsFormat.OtsError('container.malformed');
      await sink.write(bytes);
    };
    const unpacker = makeUnpacker(theplan, write);
    try {
      await pump(ticket, reader, (piece) => unpacker.push(piece), progressReporter());
      await unpacker.end();
      if (theplan.size !== null && written !== theplan.size) throw new OtsFormat.OtsError('container.malformed');
    } catch (e) {
      sink.fail(); // the browser marks the download failed and keeps no completed file
      throw e;
    }
    await sink.close();
    done(theplan);
  }

  // A download written by download_worker.js. Decrypted pieces (up to 64 KiB each) are gathered into
  // batches of BATCH bytes, each handed over (transferred, not copied again) when the worker asks for
  // more; the worker keeps a few batches queued for the disk, so neither side waits on the other for
  // long, and memory stays bounded by that queue.
  const BATCH = 1024 * 1024;

  class WorkerDownload {
    static async open(name, size) {
      const worker = await WorkerDownload.worker();
      const channel = new MessageChannel();
      const id = OtsFormat.b64u.encode(sodium.randombytes_buf(16));
      const download = new WorkerDownload(channel.port1, worker);
      const registered = new Promise((resolve, reject) => {
        download.onRegistered = resolve;
        setTimeout(() => reject(new DownloadUnsupported()), 10000);
      });
      worker.postMessage({ type: 'register', id, name, size }, [channel.port2]);
      await registered;
      const frame = document.createElement('iframe');
      frame.hidden = true;
      frame.title = 'download';
      frame.src = '/web/download/' + id;
      document.body.appendChild(frame);
      download.frame = frame;
      return download;
    }

    // The registered, active worker (registered once per page, before anything is reserved).
    static worker() {
      if (!WorkerDownload.ready) {
        WorkerDownload.ready = (async () => {
          if (!('serviceWorker' in navigator) || !window.ReadableStream) throw new DownloadUnsupported();
          let registration;
          try {
            registration = await navigator.serviceWorker.register('/web/download_worker.js', { scope: '/web/' });
          } catch (e) {
            throw new DownloadUnsupported();
          }
          return activeWorker(registration);
        })();
        WorkerDownload.ready.catch(() => {}); // awaited (and reported) where it is needed
      }
      return WorkerDownload.ready;
    }

    constructor(port, worker) {
      this.port = port;
      this.worker = worker;
      this.credits = 0;
      this.waiting = null;
      this.cancelled = false;
      this.onRegistered = null;
      this.batch = new Uint8Array(BATCH);
      this.filled = 0;
      port.onmessage = (event) => {
        const type = event.data && event.data.type;
        if (type === 'registered' && this.onRegistered) this.onRegistered();
        if (type === 'pull') {
          this.credits += 1;
          this.wake();
        }
        if (type === 'cancel') {
          this.cancelled = true;
          this.wake();
        }
      };
      // Keeps the worker running through long pauses (a relay that is down for a while).
      this.keepAlive = setInterval(() => this.worker.postMessage({ type: 'keepalive' }), 10000);
    }

    wake() {
      if (this.waiting) {
        this.waiting();
        this.waiting = null;
      }
    }

    async credit() {
      while (this.credits === 0 && !this.cancelled) {
        await new Promise((resolve) => { this.waiting = resolve; });
      }
      if (this.cancelled) throw new CancelledError();
      this.credits -= 1;
    }

    async write(bytes) {
      if (this.cancelled) throw new CancelledError();
      let offset = 0;
      while (offset < bytes.length) {
        const n = Math.min(bytes.length - offset, BATCH - this.filled);
        this.batch.set(bytes.subarray(offset, offset + n), this.filled);
        this.filled += n;
        offset += n;
        if (this.filled === BATCH) await this.flush();
      }
    }

    async flush() {
      if (this.filled === 0) return;
      await this.credit();
      const buffer = this.filled === BATCH ? this.batch.buffer : this.batch.slice(0, this.filled).buffer;
      this.port.postMessage({ type: 'chunk', buffer }, [buffer]);
      this.batch = new Uint8Array(BATCH);
      this.filled = 0;
    }

    async close() {
      await this.flush();
      await this.credit();
      this.port.postMessage({ type: 'end' });
      this.stop();
    }

    fail() {
      this.port.postMessage({ type: 'error' });
      this.stop();
    }

    stop() {
      clearInterval(this.keepAlive);
      setTimeout(() => { if (this.frame) this.frame.remove(); }, 60 * 1000);
    }
  }
  WorkerDownload.ready = null;

  function activeWorker(registration) {
    if (registration.active) return Promise.resolve(registration.active);
    const installing = registration.installing || registration.waiting;
    return new Promise((resolve, reject) => {
      if (!installing) {
        reject(new DownloadUnsupported());
        return;
      }
      installing.addEventListener('statechange', () => {
        if (installing.state === 'activated') resolve(installing);
        if (installing.state === 'redundant') reject(new DownloadUnsupported());
      });
    });
  }

  // ---- the app, for people who have it ---------------------------------------------------------

  // onetimeshare:// means http for a loopback host and https for any other (SPEC §2.1), so this
  // page's own address has an app form only when its protocol is the one its host implies.
  function offerApp() {
    const host = location.hostname.toLowerCase();
    const loopback = host === 'localhost' || host === '[::1]' || /^127(\.[0-9]{1,3}){3}$/.test(host);
    const hasAppForm = (location.protocol === 'https:') !== loopback;
    $('app-open-row').hidden = !hasAppForm;
    $('app-paste-row').hidden = hasAppForm;
    if (hasAppForm) {
      $('open-app').href = 'onetimeshare://' + location.host + location.pathname + location.hash;
    }
    $('app-offer').hidden = false;
  }

  function init() {
    $('password-form').addEventListener('submit', onPasswordSubmit);
    $('download').addEventListener('click', () => {
      onDownload().catch((e) => fail(codeFor(e)));
    });
    $('retry').addEventListener('click', () => {
      const action = retryAction;
      retryAction = null;
      if (action) action().catch((e) => fail(codeFor(e)));
    });
    $('error').tabIndex = -1;
    $('done-title').tabIndex = -1;
    start().catch((e) => fail(codeFor(e), codeFor(e) === 'relay_unavailable' ? openShare : null));
  }

  init();
})();
