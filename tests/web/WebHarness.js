// What the browser tests and browser_bench share: a real redis-server and ots-relay on loopback, the
// real `ots` command line, a TCP proxy that records and can cut connections, and Debian's Chromium
// driven by puppeteer-core. Everything it starts it stops by PID; every wait is bounded.
'use strict';

const childProcess = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(what, condition, timeoutMs = 20000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(everyMs);
  }
}

const madeDirs = [];
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}
// Removes every folder tempDir() made (after the processes using them have stopped).
function removeTempDirs() {
  for (const dir of madeDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

// One HTTP request to the relay (or the proxy); resolves { status, headers, body (Buffer) }.
function request(port, method, urlPath, { headers = {}, body = null } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('request timed out')));
    if (body !== null) req.write(body);
    req.end();
  });
}

class Processes {
  constructor() {
    this.children = [];
  }
  spawn(program, args, options = {}) {
    const child = childProcess.spawn(program, args, Object.assign({ stdio: ['ignore', 'pipe', 'pipe'] }, options));
    this.children.push(child);
    return child;
  }
  async stopAll() {
    for (const child of this.children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const exited = await Promise.race([
          new Promise((resolve) => child.once('exit', () => resolve(true))), sleep(5000).then(() => false)]);
        if (!exited) child.kill('SIGKILL');
      }
    }
    this.children = [];
  }
}

class Redis {
  constructor(processes) {
    this.processes = processes;
  }
  async start() {
    this.port = await freePort();
    this.dir = tempDir('ots-web-redis-');
    this.child = this.processes.spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(this.port),
      '--dir', this.dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no']);
    await waitFor('redis-server', async () => (await this.cli(['PING']).catch(() => '')) === 'PONG', 10000);
  }
  cli(args) {
    return new Promise((resolve, reject) => {
      childProcess.execFile('redis-cli', ['-p', String(this.port), ...args], (error, stdout) => {
        if (error) reject(error);
        else resolve(stdout.trim());
      });
    });
  }
}

class Relay {
  constructor(processes, binary, redis) {
    this.processes = processes;
    this.binary = binary;
    this.redis = redis;
  }
  async start(extra = []) {
    this.port = await freePort();
    this.dataDir = tempDir('ots-web-data-');
    this.logPath = path.join(tempDir('ots-web-log-'), 'relay.log');
    const log = fs.openSync(this.logPath, 'w');
    this.child = this.processes.spawn(this.binary, [
      '--listen', '127.0.0.1:' + this.port, '--data-dir', this.dataDir, '--redis-port', String(this.redis.port),
      '--open-relay', 'true', '--test-clock', 'true', '--log-level', 'debug',
      '--creates-per-minute-per-ip', '1000000', '--proofs-per-minute-per-ip', '1000000',
      '--client-shares-per-hour', '1000000', '--client-bytes-per-hour', '1T', ...extra,
    ], { stdio: ['ignore', log, log] });
    await waitFor('ots-relay /readyz', async () => {
      if (this.child.exitCode !== null) throw new Error('ots-relay exited: ' + fs.readFileSync(this.logPath, 'utf8').slice(-2000));
      return (await request(this.port, 'GET', '/readyz').catch(() => ({ status: 0 }))).status === 200;
    }, 20000);
  }
  log() {
    return fs.readFileSync(this.logPath, 'utf8');
  }
  async info(id) {
    const answer = await request(this.port, 'GET', '/api/v1/shares/' + id);
    return { status: answer.status, body: JSON.parse(answer.body.toString('utf8') || 'null') };
  }
  // The file that holds a share's blob in the local store (SPEC §10.12), for tampering tests.
  blobPath(id) {
    return path.join(this.dataDir, 'blobs', id.slice(0, 2), id.slice(2, 4), id);
  }
  // Moves the relay's clock (the scripts' clock, SPEC §10.11 test clock) on by `seconds`.
  async advanceClock(seconds) {
    await this.redis.cli(['SET', '{ots}:test:clock-offset', String(seconds * 1000), 'EX', '3600']);
  }
}

// The real `ots` command line with its own configuration folder and a file secret store.
class Ots {
  constructor(binary, relayUrl) {
    this.binary = binary;
    this.relayUrl = relayUrl;
    this.config = tempDir('ots-web-config-');
  }
  run(args, { input = null, fd3 = null } = {}) {
    return new Promise((resolve, reject) => {
      const stdio = ['pipe', 'pipe', 'pipe'];
      if (fd3 !== null) stdio.push('pipe');
      const child = childProcess.spawn(this.binary, args, {
        stdio,
        env: Object.assign({}, process.env, { OTS_CONFIG_DIR: this.config, OTS_SECRET_STORE: 'file', QT_QPA_PLATFORM: 'offscreen' }),
      });
      const out = [];
      const err = [];
      child.stdout.on('data', (c) => out.push(c));
      child.stderr.on('data', (c) => err.push(c));
      const timer = setTimeout(() => child.kill('SIGKILL'), 300000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      if (input !== null) child.stdin.end(input);
      else child.stdin.end();
      if (fd3 !== null) child.stdio[3].end(fd3);
    });
  }
  // Sends and returns { link, id, secret }; `password` goes through a pipe on fd 3, never argv.
  async send(paths, { downloads = 1, expires = '1d', password = null, text = null, note = null } = {}) {
    const args = ['send', '--json', '--relay', this.relayUrl, '--downloads', String(downloads), '--expires', expires];
    if (note !== null) args.push('--note', note);
    if (password !== null) args.push('--password-fd', '3');
    if (text !== null) args.push('--text', '-');
    else args.push(...paths);
    const result = await this.run(args, { input: text, fd3: password === null ? null : password + '\n' });
    if (result.code !== 0) throw new Error('ots send failed (' + result.code + '): ' + result.stderr);
    const json = JSON.parse(result.stdout);
    const match = /\/s\/([A-Za-z0-9_-]{22})#([A-Za-z0-9_-]{43})$/.exec(json.link);
    if (!match) throw new Error('ots send printed no link');
    return { link: json.link, id: match[1], secret: match[2] };
  }
}

// A TCP proxy in front of the relay: records every byte the browser sent (the capture the leak checks
// read) and, when armed, cuts the first response to a matching request after `afterBytes` bytes.
class Proxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.captured = [];
    this.cut = null;
    this.cuts = 0;
    this.bytesPerSecond = 0; // 0: as fast as loopback goes
  }
  async start() {
    this.port = await freePort();
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      let requestText = '';
      let forwarded = 0;
      let cutting = false;
      client.on('data', (data) => {
        this.captured.push(Buffer.from(data));
        requestText = (requestText + data.toString('latin1')).slice(-65536);
        if (this.cut && this.cut.match.test(requestText)) {
          cutting = true;
          forwarded = 0;
        }
        upstream.write(data);
      });
      upstream.on('data', (data) => {
        if (cutting && this.cut) {
          forwarded += data.length;
          if (forwarded > this.cut.afterBytes) {
            const keep = data.length - (forwarded - this.cut.afterBytes);
            client.write(data.subarray(0, Math.max(0, keep)));
            this.cut = null;
            this.cuts += 1;
            client.destroy();
            upstream.destroy();
            return;
          }
        }
        client.write(data);
        if (this.bytesPerSecond > 0) {
          upstream.pause();
          setTimeout(() => upstream.resume(), (data.length / this.bytesPerSecond) * 1000);
        }
      });
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
      client.on('close', end);
      upstream.on('close', end);
    });
    await new Promise((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }
  // Arms one cut: the next response whose request matches `match` is cut after `afterBytes`.
  armCut(match, afterBytes) {
    this.cut = { match, afterBytes };
  }
  // Slows every answer to about `bytesPerSecond` (0 lifts it), for screenshots of a download.
  throttle(bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }
  capture() {
    return Buffer.concat(this.captured);
  }
  stop() {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage'];

function loadPuppeteer() {
  const modules = process.env.OTS_WEB_NODE_MODULES || path.join(__dirname, 'node_modules');
  return require(path.join(modules, 'puppeteer-core'));
}

// Debian's Chromium or Firefox ESR, headless, with downloads allowed into `downloadDir`. Chromium
// reports each download's progress (DevTools events); Firefox (WebDriver BiDi) is watched through
// the folder (firefoxPartOf below).
async function launchBrowser(kind, downloadDir, extraArgs = []) {
  const puppeteer = loadPuppeteer();
  if (kind === 'firefox') {
    const browser = await puppeteer.launch({
      browser: 'firefox', executablePath: '/usr/bin/firefox-esr', headless: true, protocolTimeout: 600000,
      extraPrefsFirefox: {
        'browser.download.dir': downloadDir, 'browser.download.folderList': 2,
        'browser.download.useDownloadDir': true, 'browser.download.always_ask_before_handling_new_types': false,
        'browser.helperApps.neverAsk.saveToDisk': 'application/octet-stream,text/plain,application/zip',
        'network.http.http3.enable': false,
      },
    });
    return { kind, browser, downloads: null };
  }
  const userDataDir = tempDir('ots-web-chromium-');
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium', headless: true, userDataDir,
    args: [...CHROMIUM_FLAGS, ...extraArgs], protocolTimeout: 600000,
  });
  const session = await browser.target().createCDPSession();
  const downloads = new Map(); // guid → { name, state, received, total }
  session.on('Browser.downloadWillBegin', (e) => downloads.set(e.guid, { name: e.suggestedFilename, state: 'inProgress', received: 0, total: 0 }));
  session.on('Browser.downloadProgress', (e) => {
    const d = downloads.get(e.guid) || { name: null };
    d.state = e.state;
    d.received = e.receivedBytes;
    d.total = e.totalBytes;
    downloads.set(e.guid, d);
  });
  await session.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloadDir, eventsEnabled: true });
  return { kind, browser, session, downloads, userDataDir };
}

// Resolves with the path of the completed download `name` in `downloadDir`; throws if the browser
// reports it failed (Chromium) or it does not complete in time. `size`, when known, is the size the
// finished file must have (Firefox's placeholder is empty until its part file is renamed over it).
async function waitDownload(launched, downloadDir, name, timeoutMs = 120000, size = null) {
  const file = path.join(downloadDir, name);
  if (launched.downloads) {
    await waitFor('download of ' + name, () => {
      for (const d of launched.downloads.values()) {
        if (d.name === name && d.state === 'completed') return true;
        if (d.name === name && d.state === 'canceled') throw new Error('download of ' + name + ' failed');
      }
      return false;
    }, timeoutMs, 50);
    await waitFor('file ' + name, () => fs.existsSync(file), 5000);
    return file;
  }
  // Without a known size: finished when the file is there, not empty, with no part file, and the
  // same over several looks (the part file may not exist yet just after the placeholder appears).
  let settled = 0;
  let last = -1;
  await waitFor('download of ' + name, () => {
    if (!fs.existsSync(file) || firefoxPartOf(downloadDir, name)) {
      settled = 0;
      return false;
    }
    const now = fs.statSync(file).size;
    if (size !== null) return now === size;
    settled = now === last && now > 0 ? settled + 1 : 0;
    last = now;
    return settled >= 3;
  }, timeoutMs, 100);
  return file;
}

// Firefox writes a download to `stem.RANDOM.ext.part` beside an empty placeholder under its final
// name, and renames the part over the placeholder when the download completes; a failed download
// leaves both. So a download is finished when its final name exists and no part file of it does.
function firefoxPartOf(downloadDir, name) {
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  return fs.readdirSync(downloadDir).some((n) => n.startsWith(stem + '.') && n.endsWith(ext + '.part'));
}

// Whether a download named `name` completed (for the checks that one must not).
function downloadCompleted(launched, downloadDir, name) {
  if (launched.downloads) {
    return [...launched.downloads.values()].some((d) => d.name === name && d.state === 'completed');
  }
  return fs.existsSync(path.join(downloadDir, name)) && !firefoxPartOf(downloadDir, name);
}

function sha256File(file) {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file).on('data', (c) => hash.update(c)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
  });
}

// Writes `size` pseudo-random bytes to `file` in 1 MiB blocks (memory stays small).
function writeRandomFile(file, size) {
  const fd = fs.openSync(file, 'w');
  const block = crypto.randomBytes(1 << 20);
  let left = size;
  let counter = 0;
  while (left > 0) {
    block.writeUInt32LE(counter++, 0); // every block differs, so a reordered block would show
    const n = Math.min(left, block.length);
    fs.writeSync(fd, block, 0, n);
    left -= n;
  }
  fs.closeSync(fd);
}

module.exports = {
  freePort, sleep, waitFor, tempDir, removeTempDirs, request, Processes, Redis, Relay, Ots, Proxy,
  launchBrowser, waitDownload, downloadCompleted, loadPuppeteer, CHROMIUM_FLAGS, sha256File, writeRandomFile,
};
