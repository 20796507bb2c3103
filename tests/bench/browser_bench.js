// browser_bench: the browser receiver (SPEC §11) next to `ots get`, on one share, in one run. It starts
// its own redis-server and this build's ots-relay on free loopback ports, writes a file of random
// 1 MiB blocks, each numbered (never sparse), sends it with `ots send --downloads 2`, times `ots get`
// of it (native MB/s), then receives the same share in headless Debian Chromium (puppeteer-core):
// it opens http://127.0.0.1:PORT/s/<id>#<secret>, presses #download, waits for the browser's download
// to complete (CDP Browser.setDownloadBehavior with events) and compares the file's SHA-256 with the
// original's. Meanwhile it sums the memory of every process of the Chromium tree from /proc: RSS every
// 100 ms, PSS every second (see TreeMemorySampler for why both).
// Each size (default 256 MiB and 2048 MiB) is its own share and its own fresh browser profile. The
// processes, the `ots` runs and the browser come from tests/web/WebHarness.js, as in the browser
// tests. The link reaches `ots get` on standard input and the browser over DevTools: never argv.
// Built, not run by ctest (the build writes the wrapper build/tests/bench/browser_bench, which passes
// the paths of this build's ots and ots-relay):
//
//   build/tests/bench/browser_bench [--mib 256,2048] [--dir DIR] [--timeout-minutes 30]
//
// --mib: the file sizes, in MiB. --dir: where the temporary folders go (default TMPDIR); it must have
// room for about 3 × the largest size (the file, the relay's copy, the received copy) — checked first.
// --timeout-minutes bounds the whole run. puppeteer-core comes from tests/web/node_modules (`npm ci`
// there, as installer/setup.sh test does) or from OTS_WEB_NODE_MODULES.
// Goals, each printed next to its figure: browser MB/s >= 0.3 × native MB/s at every size; the
// browser's peak memory (the PSS of all its processes) <= 400 MiB at every size, and flat: the
// largest size's peak PSS and peak summed RSS each at most 64 MiB above the smallest size's. Each
// memory figure is printed with the browser's own before Download is pressed. Exit status: 0 all
// goals met, 1 a goal missed, 2 the run could not be made (set-up failure, a failed transfer,
// different bytes, time out). The temporary folders are removed and the processes this program
// started (by their PIDs, nothing else) are stopped whatever ends the run, Ctrl-C included.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const kRatioGoal = 0.3;
const kPeakGoalMiB = 400;
const kFlatGoalMiB = 64;
const kSampleMs = 100;
const kPssEvery = 10; // PSS every second
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// Arguments

function usage(message) {
  process.stderr.write(`browser_bench: ${message}\n` +
      'usage: browser_bench --ots PATH --relay PATH [--mib 256,2048] [--dir DIR] [--timeout-minutes 30]\n');
  process.exit(2);
}

function parseArguments(argv) {
  const options = {ots: '', relay: '', mib: [256, 2048], dir: os.tmpdir(), timeoutMinutes: 30};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    const value = argv[i + 1];
    if (value === undefined)
      usage(`${name} needs a value`);
    if (name === '--ots') {
      options.ots = value;
    } else if (name === '--relay') {
      options.relay = value;
    } else if (name === '--dir') {
      options.dir = path.resolve(value);
    } else if (name === '--mib') {
      options.mib = value.split(',').map(Number);
      if (options.mib.some((n) => !Number.isInteger(n) || n < 1 || n > 65536))
        usage('--mib takes sizes in MiB from 1 to 65536, comma-separated');
    } else if (name === '--timeout-minutes') {
      options.timeoutMinutes = Number(value);
      if (!(options.timeoutMinutes > 0))
        usage('--timeout-minutes takes a positive number');
    } else {
      usage(`unknown option ${name}`);
    }
  }
  if (!options.ots || !options.relay)
    usage('--ots and --relay are required (the build\'s wrapper passes them)');
  if (!fs.statSync(options.dir, {throwIfNoEntry: false})?.isDirectory())
    usage(`no folder at ${options.dir}`);
  for (const file of [options.ots, options.relay, '/usr/bin/chromium']) {
    try {
      fs.accessSync(file, fs.constants.X_OK);
    } catch (error) {
      usage(`no executable at ${file}`);
    }
  }
  return options;
}

// ---------------------------------------------------------------------------------------------------
// Memory of a process tree, from /proc

/// The PIDs of `root` and all its descendants right now.
function processTree(root) {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name))
      continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch (error) {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid))
      children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const tree = [];
  for (const queue = [root]; queue.length > 0;) {
    const pid = queue.pop();
    tree.push(pid);
    queue.push(...(children.get(pid) || []));
  }
  return tree;
}

/// One field of /proc/PID/status or /proc/PID/smaps_rollup, in bytes (0 when the process is gone).
function procBytes(pid, file, field) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/${file}`, 'latin1');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  } catch (error) {
    return 0; // gone meanwhile
  }
}

/// Samples the memory of `root`'s process tree until stop(): the summed RSS every kSampleMs, and the
/// summed PSS (each shared page divided among the processes that map it) every kPssEvery-th sample.
/// Summed RSS counts the pages every Chromium process shares (its binary and libraries, about 800 MiB
/// of file-backed pages for an idle browser here) once per process; PSS counts them once in all, so it
/// is the memory the whole tree occupies. Reading smaps_rollup costs ~5 ms per process, hence the
/// slower pace for PSS.
class TreeMemorySampler {
  constructor(root) {
    this.root = root;
    this.peakRss = 0;
    this.peakPss = 0;
    this.lastRss = 0;
    this.count = 0;
    this.timer = setInterval(() => this.sample(), kSampleMs);
    this.sample();
  }

  sample() {
    const tree = processTree(this.root);
    let rss = 0;
    for (const pid of tree)
      rss += procBytes(pid, 'status', 'VmRSS');
    this.lastRss = rss;
    this.peakRss = Math.max(this.peakRss, rss);
    if (this.count % kPssEvery === 0) {
      let pss = 0;
      for (const pid of tree)
        pss += procBytes(pid, 'smaps_rollup', 'Pss');
      this.peakPss = Math.max(this.peakPss, pss);
    }
    this.count += 1;
  }

  /// The tree's summed RSS and PSS right now (outside the peaks).
  now() {
    const tree = processTree(this.root);
    const sum = (file, field) => tree.reduce((total, pid) => total + procBytes(pid, file, field), 0);
    return {rss: sum('status', 'VmRSS'), pss: sum('smaps_rollup', 'Pss')};
  }

  /// Peak summed RSS and PSS so far, now that the sampling has stopped.
  stop() {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
      this.count = 0; // the last sample reads PSS too
      this.sample();
    }
    return {rss: this.peakRss, pss: this.peakPss};
  }
}

// ---------------------------------------------------------------------------------------------------
// The runs

/// `text` with every link secret (a fragment of 43 base64url characters) replaced: error messages of
/// the browser driver can quote the page's address, and no secret goes into the bench's output.
function redact(text) {
  return String(text).replace(/#[A-Za-z0-9_-]{43}/g, '#<secret>');
}

function seconds(since) {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/// `ots get` of the link into a folder of its own; resolves with {seconds, sha256}.
async function nativeGet(H, ots, link) {
  const output = H.tempDir('ots-bench-native-');
  const begin = process.hrtime.bigint();
  const result = await ots.run(['get', '--json', '-o', output, '-'], {input: `${link}\n`});
  const took = seconds(begin);
  if (result.code !== 0)
    throw new Error(`ots get failed (${result.code}): ${result.stderr.trim().slice(-2000)}`);
  const saved = JSON.parse(result.stdout).saved;
  if (!Array.isArray(saved) || saved.length !== 1)
    throw new Error('ots get saved no single file');
  const sha256 = await H.sha256File(path.resolve(output, saved[0]));
  fs.rmSync(output, {recursive: true, force: true});
  return {seconds: took, sha256};
}

/// The page's #state once it is one of `states` (bounded by timeoutMs).
function pageState(H, page, states, timeoutMs) {
  return H.waitFor(`page state ${states.join('|')}`, async () => {
    const state = await page.$eval('#state', (element) => element.dataset.state).catch(() => null);
    return states.includes(state) ? state : null;
  }, timeoutMs, 100);
}

async function pageError(page) {
  const code = await page.$eval('#error', (element) => element.dataset.code || '').catch(() => '');
  return `the page's error "${code}"`;
}

/// Receives the link in a fresh headless Chromium; resolves with {seconds, sha256, peak, idle}, the
/// last two the summed {rss, pss} of its processes: the peak from launch to the end of the download,
/// and the value with the page open just before Download is pressed.
async function browserGet(H, link, name, timeoutMs, running) {
  const downloadDir = H.tempDir('ots-bench-downloads-');
  const launched = await H.launchBrowser('chromium', downloadDir);
  running.browser = launched.browser;
  const sampler = new TreeMemorySampler(launched.browser.process().pid);
  try {
    const page = await launched.browser.newPage();
    await page.goto(link, {waitUntil: 'domcontentloaded', timeout: 60000});
    if (await pageState(H, page, ['details', 'error'], 60000) !== 'details')
      throw new Error(`the share did not open: ${await pageError(page)}`);

    const idle = sampler.now(); // the browser with the page open, before the download
    const begin = process.hrtime.bigint();
    await page.click('#download');
    // The page saying the download failed ends the wait as well; this watch stops with the download.
    let downloading = true;
    const failed = H.waitFor('the page', async () => {
      if (!downloading)
        return 'stopped';
      const state = await page.$eval('#state', (element) => element.dataset.state).catch(() => null);
      return state === 'error' ? state : null;
    }, timeoutMs, 100).then(async (state) => {
      if (state === 'error')
        throw new Error(`the download failed: ${await pageError(page)}`);
    });
    failed.catch(() => {}); // observed by the race
    const file = await Promise.race([H.waitDownload(launched, downloadDir, name, timeoutMs), failed])
        .finally(() => {
          downloading = false;
        });
    const took = seconds(begin);
    if (await pageState(H, page, ['done', 'error'], 60000) !== 'done')
      throw new Error(`after the download: ${await pageError(page)}`);
    const peak = sampler.stop();
    return {seconds: took, sha256: await H.sha256File(file), peak, idle};
  } finally {
    sampler.stop();
    await closeBrowser(H, running);
    fs.rmSync(downloadDir, {recursive: true, force: true});
    fs.rmSync(launched.userDataDir, {recursive: true, force: true});
  }
}

/// Closes the browser this program launched; its own PID is killed if it does not go in time.
async function closeBrowser(H, running) {
  const browser = running.browser;
  running.browser = null;
  if (!browser)
    return;
  const child = browser.process();
  await Promise.race([browser.close().catch(() => {}), H.sleep(15000)]);
  if (child && child.exitCode === null && child.signalCode === null)
    child.kill('SIGKILL');
}

function mbPerSecond(bytes, secs) {
  return bytes / 1e6 / secs;
}

function mib(bytes) {
  return bytes / MiB;
}

async function bench(H, options, running) {
  const largest = Math.max(...options.mib) * MiB;
  const stats = fs.statfsSync(options.dir);
  const free = stats.bavail * stats.bsize;
  if (free < 3 * largest + 512 * MiB) {
    throw new Error(`${options.dir} has ${mib(free).toFixed(0)} MiB free; this run needs about ` +
        `${mib(3 * largest + 512 * MiB).toFixed(0)} MiB (use --dir)`);
  }

  const redis = new H.Redis(running.processes);
  await redis.start();
  const relay = new H.Relay(running.processes, options.relay, redis);
  running.relay = relay;
  await relay.start();
  const ots = new H.Ots(options.ots, `http://127.0.0.1:${relay.port}`);
  console.log(`browser_bench: ots-relay at http://127.0.0.1:${relay.port}, /usr/bin/chromium, ` +
      `files in ${options.dir}`);

  const stepMs = options.timeoutMinutes * 60000;
  const results = [];
  for (const sizeMiB of options.mib) {
    const bytes = sizeMiB * MiB;
    const name = `bench-${sizeMiB}MiB.bin`;
    const file = path.join(H.tempDir('ots-bench-file-'), name);
    H.writeRandomFile(file, bytes);
    const original = await H.sha256File(file);
    const share = await ots.send([file], {downloads: 2, expires: '1h'});
    fs.rmSync(file); // the relay has its copy: at most three copies on disk at a time

    const native = await nativeGet(H, ots, share.link);
    if (native.sha256 !== original)
      throw new Error(`ots get of ${sizeMiB} MiB gave different bytes`);
    const browser = await browserGet(H, share.link, name, stepMs, running);
    if (browser.sha256 !== original)
      throw new Error(`the browser's ${sizeMiB} MiB download has different bytes`);
    results.push({sizeMiB, bytes, native, browser});
    console.log(`${String(sizeMiB).padStart(5)} MiB: ots get ${native.seconds.toFixed(1)} s, browser ` +
        `${browser.seconds.toFixed(1)} s; both SHA-256 identical to the file sent`);
  }

  let ok = true;
  const verdict = (met) => {
    ok = ok && met;
    return met ? 'met' : 'MISSED';
  };
  console.log('');
  for (const {sizeMiB, bytes, native, browser} of results) {
    const nativeRate = mbPerSecond(bytes, native.seconds);
    const browserRate = mbPerSecond(bytes, browser.seconds);
    const ratio = browserRate / nativeRate;
    console.log(`${String(sizeMiB).padStart(5)} MiB: browser ${browserRate.toFixed(1)} MB/s, native ` +
        `${nativeRate.toFixed(1)} MB/s, ratio ${ratio.toFixed(2)}   goal >= ${kRatioGoal}  ` +
        `${verdict(ratio >= kRatioGoal)}`);
    const {peak, idle} = browser;
    console.log(`${String(sizeMiB).padStart(5)} MiB: browser peak memory, all Chromium processes: PSS ` +
        `${mib(peak.pss).toFixed(1)} MiB (${mib(idle.pss).toFixed(1)} with the page open before ` +
        `Download)   goal <= ${kPeakGoalMiB} MiB  ${verdict(mib(peak.pss) <= kPeakGoalMiB)}`);
    console.log(`${String(sizeMiB).padStart(5)} MiB:   summed RSS ${mib(peak.rss).toFixed(1)} MiB ` +
        `(${mib(idle.rss).toFixed(1)} before Download; shared pages counted once per process, ` +
        `sampled every ${kSampleMs} ms)`);
  }
  if (results.length > 1) {
    const first = results[0];
    const last = results[results.length - 1];
    for (const kind of ['pss', 'rss']) {
      const growth = mib(last.browser.peak[kind] - first.browser.peak[kind]);
      console.log(`peak ${kind === 'pss' ? 'PSS' : 'summed RSS'} from ${first.sizeMiB} MiB to ` +
          `${last.sizeMiB} MiB: ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB   goal: flat, ` +
          `<= +${kFlatGoalMiB} MiB  ${verdict(growth <= kFlatGoalMiB)}`);
    }
  }
  console.log(`browser_bench: ${ok ? 'all goals met' : 'GOAL MISSED'}`);
  return ok ? 0 : 1;
}

/// Whether `pid` has ended (gone, or a zombie its parent has not reaped yet).
function ended(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch (error) {
    return true;
  }
}

/// Ends the run at once for Ctrl-C, SIGTERM or the time limit: every process this program started
/// (its descendants in /proc: Redis, the relay, a running `ots`, the browser and the processes the
/// browser started) gets SIGKILL by PID, the temporary folders go, and the exit status is 2. All of
/// it is synchronous, so it is done before any other handler runs (puppeteer's own SIGINT handler
/// exits the process).
function stopNow(H, message) {
  process.stderr.write(`browser_bench: ${message}\n`);
  const pids = processTree(process.pid).filter((pid) => pid !== process.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) { /* ended meanwhile */ }
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const deadline = Date.now() + 5000; Date.now() < deadline && !pids.every(ended);)
    Atomics.wait(pause, 0, 0, 20);
  H.removeTempDirs();
  process.exit(2);
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  process.env.TMPDIR = options.dir;
  const H = require(path.resolve(__dirname, '..', 'web', 'WebHarness.js'));
  // One folder for the run, made first and so removed first: WebHarness's tempDir() folders, and
  // what Chromium itself leaves in TMPDIR when it is killed, all go inside it.
  process.env.TMPDIR = H.tempDir('ots-bench-');
  const running = {processes: new H.Processes(), relay: null, browser: null};

  const deadline = setTimeout(() => stopNow(H, `not finished within ${options.timeoutMinutes} minutes`),
      options.timeoutMinutes * 60000);
  process.on('SIGINT', () => stopNow(H, 'interrupted'));
  process.on('SIGTERM', () => stopNow(H, 'terminated'));

  let status = 2;
  try {
    status = await bench(H, options, running);
  } catch (error) {
    process.stderr.write(`browser_bench: ${redact(error.message)}\n`);
    if (running.relay) {
      const log = running.relay.log().slice(-3000);
      process.stderr.write(`browser_bench: the relay's log ends with:\n${log}\n`);
    }
  }
  clearTimeout(deadline);
  // The browser, then the relay and Redis, stopped by PID; then the folders.
  await closeBrowser(H, running);
  await running.processes.stopAll();
  H.removeTempDirs();
  process.exit(status);
}

main();
