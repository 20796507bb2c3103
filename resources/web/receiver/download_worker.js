// The browser receiver's Service Worker (SPEC.md §11): it turns plaintext that the page decrypts into
// a download the browser writes straight to disk, so memory stays flat whatever the size of a share.
//
// The page registers a download under a random id and hands over one end of a MessageChannel; a
// hidden frame then opens /web/download/<id>, and this worker answers that request with a stream that
// asks the page for the next batch whenever its queue has room (backpressure: the page decrypts only
// as fast as the disk takes it, a few MiB ahead at most). An error from the page errors the stream, so the browser marks the download failed and
// keeps no completed file. The worker never sees the link, the key or any ciphertext.
'use strict';

const DOWNLOAD_PATH = /^\/web\/download\/([A-Za-z0-9_-]{22})$/;
// Plaintext queued for the browser's disk writer: enough that it never waits for the page, small
// enough to keep memory flat (the page sends 1 MiB batches).
const QUEUE_BYTES = 8 * 1024 * 1024;
const pending = new Map(); // id → { port, name, size }

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || typeof data !== 'object') return;
  // A page pings during long pauses (a relay that is down) so the worker is not stopped mid-download.
  if (data.type === 'keepalive') return;
  if (data.type !== 'register' || !event.ports || event.ports.length !== 1) return;
  if (typeof data.id !== 'string' || !DOWNLOAD_PATH.test('/web/download/' + data.id)) return;
  if (typeof data.name !== 'string' || data.name.length === 0 || data.name.length > 1024) return;
  const size = Number.isSafeInteger(data.size) && data.size >= 0 ? data.size : null;
  pending.set(data.id, { port: event.ports[0], name: data.name, size });
  event.ports[0].postMessage({ type: 'registered' });
});

// RFC 6266 / RFC 8187: an ASCII fallback name and the exact UTF-8 name.
function contentDisposition(name) {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return 'attachment; filename="' + ascii + '"; filename*=UTF-8\'\'' + encoded;
}

function streamFrom(port) {
  let answer = null; // resolves the pull that waits for the page's next message
  return new ReadableStream({
    start(controller) {
      port.onmessage = (event) => {
        const data = event.data || {};
        if (data.type === 'chunk' && data.buffer instanceof ArrayBuffer) {
          controller.enqueue(new Uint8Array(data.buffer));
        } else if (data.type === 'end') {
          controller.close();
          port.close();
        } else if (data.type === 'error') {
          controller.error(new Error('The download failed.'));
          port.close();
        } else {
          return;
        }
        if (answer) {
          answer();
          answer = null;
        }
      };
    },
    pull() {
      return new Promise((resolve) => {
        answer = resolve;
        port.postMessage({ type: 'pull' });
      });
    },
    cancel() {
      // The person cancelled the download in the browser: the page stops fetching.
      port.postMessage({ type: 'cancel' });
      port.close();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: QUEUE_BYTES }));
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return;
  const match = DOWNLOAD_PATH.exec(url.pathname);
  if (!match) return;
  const download = pending.get(match[1]);
  if (!download) {
    event.respondWith(new Response('This download is no longer available.',
      { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } }));
    return;
  }
  pending.delete(match[1]); // one request per registration
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': contentDisposition(download.name),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'",
    'Cache-Control': 'no-store',
  };
  if (download.size !== null) headers['Content-Length'] = String(download.size);
  event.respondWith(new Response(streamFrom(download.port), { headers }));
});
