// browser_bench: the browser receiver (SPEC §11) next to `ots get`, on one share, in one run. It starts
// its own redis-server and this build's ots-relay on free loopback ports, writes a file of real
// pseudo-random bytes (never sparse), sends it with `ots send --downloads 2`, times `ots get` of it
// (native MB/s), then receives the same share in headless Debian Chromium driven by puppeteer-core:
// it opens http://127.0.0.1:PORT/s/<id>#<secret>, presses #download, waits for the browser's download
// to complete (CDP Browser.setDownloadBehavior with events) and compares the file's SHA-256 with the
// original's. Meanwhile it sums the RSS of every process of the Chromium tree (/proc, every 100 ms).
// Each size (default 256 MiB and 2048 MiB) is its own share and its own fresh browser profile. The
// link reaches `ots get` on standard input and the browser over the DevTools pipe: never argv.
// Built, not run by ctest (the build writes the wrapper build/tests/bench/browser_bench, which passes
// the paths of this build's ots and ots-relay):
//
//   build/tests/bench/browser_bench [--mib 256,2048] [--dir DIR] [--timeout-minutes 30]
//                                   [--chromium /usr/bin/chromium] [--node-modules DIR]
//
// --mib: the file sizes, in MiB. --dir: where the temporary folder goes; it must have room for about
// 3 × the largest size (the file, the relay's copy, the received copy) — checked first.
// --node-modules: where puppeteer-core is installed (default tests/web/node_modules, which
// `installer/setup.sh test` fills with `npm ci`). --timeout-minutes bounds the whole run.
// Goals, each printed next to its figure: browser MB/s >= 0.3 × native MB/s at every size; the
// browser's peak memory (all its processes) <= 400 MiB at every size, and flat: the largest size's
// peak at most 64 MiB above the smallest's. Exit status: 0 all goals met, 1 a goal missed, 2 the run
// could not be made (set-up failure, a failed transfer, different bytes, time out). The temporary
// folder is removed and the processes this program started (by their PIDs, nothing else) are stopped
// whatever ends the run, Ctrl-C included.
'use strict';

const childProcess = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

const kRatioGoal = 0.3;
const kPeakGoalMiB = 400;
const kFlatGoalMiB = 64;
const kSampleMs = 100;
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// Arguments

function usage(message) {
    if (message)
        process.stderr.write(`browser_bench: ${message}\n`);
    process.stderr.write(
        'usage: browser_bench --ots PATH --relay PATH [--mib 256,2048] [--dir DIR]\n' +
        '                     [--timeout-minutes 30] [--chromium PATH] [--node-modules DIR]\n');
    process.exit(2);
}

function parseArguments(argv) {
    const options = {
        ots: '',
        relay: '',
        mib: [256, 2048],
        dir: os.tmpdir(),
        timeoutMinutes: 30,
        chromium: '/usr/bin/chromium',
        nodeModules: path.resolve(__dirname, '..', 'web', 'node_modules'),
    };
    for (let i = 0; i < argv.length; i += 2) {
        const name = argv[i];
        const value = argv[i + 1];
        if (value === undefined)
            usage(`${name} needs a value`);
        switch (name) {
        case '--ots': options.ots = value; break;
        case '--relay': options.relay = value; break;
        case '--dir': options.dir = value; break;
        case '--chromium': options.chromium = value; break;
        case '--node-modules': options.nodeModules = value; break;
        case '--mib':
            options.mib = value.split(',').map(Number);
            if (options.mib.some((n) => !Number.isInteger(n) || n < 1 || n > 65536))
                usage('--mib takes sizes in MiB from 1 to 65536, comma-separated');
            break;
        case '--timeout-minutes':
            options.timeoutMinutes = Number(value);
            if (!(options.timeoutMinutes > 0))
                usage('--timeout-minutes takes a positive number');
            break;
        default: usage(`unknown option ${name}`);
        }
    }
    if (!options.ots || !options.relay)
        usage('--ots and --relay are required (the build\'s wrapper passes them)');
    for (const [what, file] of [['ots', options.ots], ['ots-relay', options.relay],
                                ['chromium', options.chromium]]) {
        try {
            fs.accessSync(file, fs.constants.X_OK);
        } catch (error) {
            usage(`${what} is not an executable at ${file}`);
        }
    }
    return options;
}

// ---------------------------------------------------------------------------------------------------
// Processes this program started: stopped by PID at the end, whatever ends the run

const started = new Set(); // ChildProcess objects still running
let scratch = '';

function track(child) {
    started.add(child);
    child.once('exit', () => started.delete(child));
    return child;
}

function stopAll() {
    for (const child of started) {
        try {
            process.kill(child.pid, 'SIGTERM');
        } catch (error) { /* already gone */ }
    }
}

async function stopAllAndWait() {
    const children = [...started];
    stopAll();
    const deadline = Date.now() + 10000;
    while (started.size > 0 && Date.now() < deadline)
        await sleep(50);
    for (const child of children) {
        if (started.has(child)) {
            try {
                process.kill(child.pid, 'SIGKILL');
            } catch (error) { /* already gone */ }
        }
    }
}

function removeScratch() {
    if (scratch) {
        fs.rmSync(scratch, {recursive: true, force: true});
        scratch = '';
    }
}

function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/// Rejects with `what` when `promise` has not settled after `ms`.
function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/// Runs `program` with `args`, writes `input` to its standard input, and resolves with its standard
/// output once it exits 0 (rejects with its standard error otherwise, or after timeoutMs).
function run(program, args, {input = '', env = process.env, timeoutMs}) {
    return new Promise((resolve, reject) => {
        const child = track(childProcess.spawn(program, args, {env, stdio: ['pipe', 'pipe', 'pipe']}));
        const out = [];
        const err = [];
        child.stdout.on('data', (data) => out.push(data));
        child.stderr.on('data', (data) => err.push(data));
        const timer = setTimeout(() => {
            try {
                process.kill(child.pid, 'SIGKILL');
            } catch (error) { /* already gone */ }
        }, timeoutMs);
        child.on('error', (error) => {
            clearTimeout(timer);
            reject(error);
        });
        child.on('exit', (code, signal) => {
            clearTimeout(timer);
            if (code === 0)
                resolve(Buffer.concat(out).toString('utf8'));
            else
                reject(new Error(`${path.basename(program)} ${args[0]} ended with ${signal || `exit ${code}`}: ` +
                                 Buffer.concat(err).toString('utf8').trim().slice(-2000)));
        });
        child.stdin.end(input);
    });
}

// ---------------------------------------------------------------------------------------------------
// Redis and the relay on free loopback ports

function freeLoopbackPort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const {port} = server.address();
            server.close(() => resolve(port));
        });
    });
}

/// One request on a fresh connection; resolves with the first line of the answer ('' on failure).
function ask(port, request) {
    return new Promise((resolve) => {
        const socket = net.connect({host: '127.0.0.1', port});
        let reply = '';
        const done = () => {
            socket.destroy();
            resolve(reply.split('\r\n')[0]);
        };
        socket.setTimeout(2000, done);
        socket.on('error', done);
        socket.on('data', (data) => {
            reply += data.toString('latin1');
            if (reply.includes('\r\n'))
                done();
        });
        socket.on('connect', () => socket.write(request));
    });
}

async function waitUntil(what, child, deadlineMs, check) {
    while (Date.now() < deadlineMs) {
        if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`${what} exited at start`);
        if (await check())
            return;
        await sleep(50);
    }
    throw new Error(`${what} was not ready in time`);
}

async function startRedis() {
    const port = await freeLoopbackPort();
    const dir = path.join(scratch, 'redis');
    fs.mkdirSync(dir);
    const child = track(childProcess.spawn('redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
         '--daemonize', 'no'],
        {stdio: 'ignore'}));
    child.on('error', () => {}); // reported by waitUntil as "exited at start"
    await waitUntil('redis-server', child, Date.now() + 10000,
                    async () => (await ask(port, 'PING\r\n')).startsWith('+PONG'));
    return port;
}

async function startRelay(binary, redisPort) {
    const port = await freeLoopbackPort();
    const log = fs.openSync(path.join(scratch, 'relay.log'), 'w');
    fs.mkdirSync(path.join(scratch, 'relay-data'));
    // The flags of tests/bench/LocalRelay.h: every bench client is 127.0.0.1, so the per-client
    // limits and allowances are out of the way.
    const child = track(childProcess.spawn(binary,
        ['--listen', `127.0.0.1:${port}`, '--data-dir', path.join(scratch, 'relay-data'),
         '--redis-port', String(redisPort), '--creates-per-minute-per-ip', '1000000',
         '--proofs-per-minute-per-ip', '1000000', '--client-shares-per-hour', '1000000000',
         '--client-bytes-per-hour', '1000T', '--log-level', 'info'],
        {stdio: ['ignore', log, log]}));
    fs.closeSync(log);
    child.on('error', () => {});
    await waitUntil('ots-relay', child, Date.now() + 20000, async () =>
        (await ask(port, 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'))
            .startsWith('HTTP/1.1 200'));
    return port;
}

function relayLogTail() {
    try {
        return fs.readFileSync(path.join(scratch, 'relay.log'), 'utf8').slice(-3000);
    } catch (error) {
        return '(no relay log)';
    }
}

// ---------------------------------------------------------------------------------------------------
// Files

/// Writes `bytes` pseudo-random bytes to `file`; resolves with their SHA-256 (hex).
function writeRandomFile(file, bytes) {
    const hash = crypto.createHash('sha256');
    const block = Buffer.alloc(4 * MiB);
    const fd = fs.openSync(file, 'w', 0o600);
    try {
        for (let left = bytes; left > 0;) {
            const n = Math.min(left, block.length);
            const part = block.subarray(0, n);
            crypto.randomFillSync(part);
            hash.update(part);
            for (let written = 0; written < n;)
                written += fs.writeSync(fd, part, written, n - written);
            left -= n;
        }
    } finally {
        fs.closeSync(fd);
    }
    return hash.digest('hex');
}

function sha256OfFile(file) {
    return new Promise((resolve, reject) => {
        const hash = crypto.createHash('sha256');
        fs.createReadStream(file, {highWaterMark: 4 * MiB})
            .on('data', (data) => hash.update(data))
            .on('error', reject)
            .on('end', () => resolve(hash.digest('hex')));
    });
}

function checkRoom(dir, bytesNeeded) {
    const stats = fs.statfsSync(dir);
    const free = stats.bavail * stats.bsize;
    if (free < bytesNeeded)
        throw new Error(`${dir} has ${(free / MiB).toFixed(0)} MiB free; this run needs about ` +
                        `${(bytesNeeded / MiB).toFixed(0)} MiB (use --dir)`);
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

function rssBytes(pid) {
    try {
        const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
        return match ? Number(match[1]) * 1024 : 0;
    } catch (error) {
        return 0; // gone meanwhile
    }
}

/// Samples the summed RSS of `root`'s process tree every kSampleMs until stop().
class TreeMemorySampler {
    constructor(root) {
        this.root = root;
        this.peak = 0;
        this.samples = 0;
        this.timer = setInterval(() => this.sample(), kSampleMs);
        this.sample();
    }

    sample() {
        let sum = 0;
        for (const pid of processTree(this.root))
            sum += rssBytes(pid);
        this.peak = Math.max(this.peak, sum);
        this.samples += 1;
    }

    stop() {
        clearInterval(this.timer);
        this.sample();
        return this.peak;
    }
}

// ---------------------------------------------------------------------------------------------------
// The runs

function otsEnvironment() {
    return {...process.env, OTS_CONFIG_DIR: path.join(scratch, 'ots-config'), OTS_SECRET_STORE: 'file'};
}

async function send(options, relayUrl, file, timeoutMs) {
    const out = await run(options.ots,
                          ['send', '--json', '--relay', relayUrl, '--downloads', '2', '--expires', '1h', file],
                          {env: otsEnvironment(), timeoutMs});
    const result = JSON.parse(out);
    if (!result.ok || typeof result.link !== 'string')
        throw new Error('ots send gave no link');
    return result.link;
}

/// `ots get` of the link into a folder of its own; resolves with {seconds, sha256}.
async function nativeGet(options, link, timeoutMs) {
    const output = path.join(scratch, 'native');
    fs.mkdirSync(output);
    const begin = process.hrtime.bigint();
    const out = await run(options.ots, ['get', '--json', '-o', output, '-'],
                          {input: `${link}\n`, env: otsEnvironment(), timeoutMs});
    const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
    const result = JSON.parse(out);
    if (!result.ok || !Array.isArray(result.saved) || result.saved.length !== 1)
        throw new Error('ots get saved no single file');
    const sha256 = await sha256OfFile(path.resolve(output, result.saved[0]));
    fs.rmSync(output, {recursive: true, force: true});
    return {seconds, sha256};
}

/// Receives the link in a fresh headless Chromium; resolves with {seconds, sha256, peakBytes, name}.
async function browserGet(options, puppeteer, link, timeoutMs) {
    const profile = fs.mkdtempSync(path.join(scratch, 'chromium-profile-'));
    const downloads = fs.mkdtempSync(path.join(scratch, 'downloads-'));
    const browser = await puppeteer.launch({
        executablePath: options.chromium,
        ignoreDefaultArgs: true,
        pipe: true, // DevTools over a pipe: no listening port, and the link never is an argument
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync',
               `--user-data-dir=${profile}`, 'about:blank'],
        timeout: 30000,
        protocolTimeout: timeoutMs,
    });
    const chromium = browser.process();
    track(chromium);
    const sampler = new TreeMemorySampler(chromium.pid);
    try {
        const cdp = await browser.target().createCDPSession();
        let began = null;
        const finished = new Promise((resolve, reject) => {
            cdp.on('Browser.downloadWillBegin', (event) => {
                began = event;
            });
            cdp.on('Browser.downloadProgress', (event) => {
                if (event.state === 'completed')
                    resolve(event);
                else if (event.state === 'canceled')
                    reject(new Error('the browser marked the download failed'));
            });
        });
        finished.catch(() => {}); // observed below; never an unhandled rejection
        await cdp.send('Browser.setDownloadBehavior',
                       {behavior: 'allowAndName', downloadPath: downloads, eventsEnabled: true});

        const page = await browser.newPage();
        await page.goto(link, {waitUntil: 'load', timeout: 60000});
        const state = await waitForState(page, ['details', 'error'], 60000);
        if (state !== 'details')
            throw new Error(`the page shows ${await pageError(page)} instead of the share`);

        const begin = process.hrtime.bigint();
        await page.click('#download');
        const pageFailed = failedState(page, timeoutMs);
        pageFailed.catch(() => {}); // observed by the race; still polling when the browser closes
        await withTimeout(Promise.race([finished, pageFailed]), timeoutMs, 'the browser download');
        const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
        const done = await waitForState(page, ['done', 'error'], 60000);
        if (done !== 'done')
            throw new Error(`after the download the page shows ${await pageError(page)}`);
        const peakBytes = sampler.stop();

        if (!began)
            throw new Error('the browser reported no download');
        const file = path.join(downloads, began.guid);
        const sha256 = await sha256OfFile(file);
        return {seconds, sha256, peakBytes, name: began.suggestedFilename};
    } finally {
        sampler.stop();
        await withTimeout(browser.close(), 15000, 'closing Chromium').catch(() => {});
        if (started.has(chromium)) {
            try {
                process.kill(chromium.pid, 'SIGKILL');
            } catch (error) { /* already gone */ }
        }
        fs.rmSync(downloads, {recursive: true, force: true});
        fs.rmSync(profile, {recursive: true, force: true});
    }
}

/// Resolves with the page's #state data-state once it is one of `states`.
async function waitForState(page, states, timeoutMs) {
    const handle = await page.waitForFunction(
        (wanted) => {
            const element = document.getElementById('state');
            const state = element && element.getAttribute('data-state');
            return wanted.includes(state) ? state : false;
        },
        {timeout: timeoutMs, polling: 100}, states);
    return handle.jsonValue();
}

/// Rejects once the page reaches its error state (a download the page itself failed).
async function failedState(page, timeoutMs) {
    await waitForState(page, ['error'], timeoutMs);
    throw new Error(`the page shows ${await pageError(page)}`);
}

async function pageError(page) {
    return page.evaluate(() => {
        const state = document.getElementById('state');
        const error = document.getElementById('error');
        const code = error && error.getAttribute('data-code');
        return `state "${state && state.getAttribute('data-state')}"` +
               (code ? `, error "${code}": ${error.textContent.trim().slice(0, 300)}` : '');
    });
}

// ---------------------------------------------------------------------------------------------------

/// `text` with every link secret (a fragment of 43 base64url characters) replaced: error messages of
/// the browser driver can quote the page's address, and no secret goes into the bench's output.
function redact(text) {
    return String(text).replace(/#[A-Za-z0-9_-]{43}/g, '#<secret>');
}

function mbPerSecond(bytes, seconds) {
    return bytes / 1e6 / seconds;
}

function mib(bytes) {
    return bytes / MiB;
}

async function bench(options) {
    let puppeteer;
    try {
        puppeteer = require(path.join(options.nodeModules, 'puppeteer-core'));
    } catch (error) {
        throw new Error(`puppeteer-core is not installed in ${options.nodeModules} ` +
                        '(run `npm ci` in tests/web, as installer/setup.sh test does, or give --node-modules)');
    }
    const largest = Math.max(...options.mib) * MiB;
    checkRoom(options.dir, 3 * largest + 512 * MiB);
    scratch = fs.mkdtempSync(path.join(options.dir, 'browser-bench-'));

    const redisPort = await startRedis();
    const relayPort = await startRelay(options.relay, redisPort);
    const relayUrl = `http://127.0.0.1:${relayPort}`;
    console.log(`browser_bench: ots-relay at ${relayUrl}, ${options.chromium} ` +
                `(${childProcess.execFileSync(options.chromium, ['--version']).toString().trim()})`);

    const stepMs = options.timeoutMinutes * 60000;
    const results = [];
    for (const sizeMiB of options.mib) {
        const bytes = sizeMiB * MiB;
        const file = path.join(scratch, `bench-${sizeMiB}MiB.bin`);
        const original = writeRandomFile(file, bytes);
        const link = await send(options, relayUrl, file, stepMs);
        fs.rmSync(file); // the relay has its copy; keeps the peak disk use at three copies

        const native = await nativeGet(options, link, stepMs);
        if (native.sha256 !== original)
            throw new Error(`ots get of ${sizeMiB} MiB gave different bytes`);
        const browser = await browserGet(options, puppeteer, link, stepMs);
        if (browser.sha256 !== original)
            throw new Error(`the browser's ${sizeMiB} MiB download has different bytes`);
        results.push({sizeMiB, bytes, native, browser});
        console.log(`${String(sizeMiB).padStart(5)} MiB: native ${native.seconds.toFixed(1)} s, ` +
                    `browser ${browser.seconds.toFixed(1)} s, saved as "${browser.name}", SHA-256 identical`);
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
        console.log(`${String(sizeMiB).padStart(5)} MiB: browser peak memory (all Chromium processes, RSS ` +
                    `summed every ${kSampleMs} ms) ${mib(browser.peakBytes).toFixed(1)} MiB   goal <= ` +
                    `${kPeakGoalMiB} MiB  ${verdict(mib(browser.peakBytes) <= kPeakGoalMiB)}`);
    }
    if (results.length > 1) {
        const first = results[0];
        const last = results[results.length - 1];
        const growth = mib(last.browser.peakBytes - first.browser.peakBytes);
        console.log(`peak memory from ${first.sizeMiB} MiB to ${last.sizeMiB} MiB: ` +
                    `${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB   goal: flat, <= +${kFlatGoalMiB} MiB  ` +
                    `${verdict(growth <= kFlatGoalMiB)}`);
    }
    console.log(`browser_bench: ${ok ? 'all goals met' : 'GOAL MISSED'}`);
    return ok ? 0 : 1;
}

async function main() {
    const options = parseArguments(process.argv.slice(2));
    const deadline = setTimeout(() => {
        process.stderr.write(`browser_bench: not finished within ${options.timeoutMinutes} minutes\n`);
        stopAll();
        removeScratch();
        process.exit(2);
    }, options.timeoutMinutes * 60000);
    for (const signal of ['SIGINT', 'SIGTERM']) {
        process.on(signal, () => {
            stopAll();
            removeScratch();
            process.exit(2);
        });
    }
    let status = 2;
    try {
        status = await bench(options);
    } catch (error) {
        process.stderr.write(`browser_bench: ${redact(error.message)}\n`);
        if (scratch)
            process.stderr.write(`browser_bench: the relay's log ends with:\n${relayLogTail()}\n`);
    } finally {
        clearTimeout(deadline);
        await stopAllAndWait();
        removeScratch();
    }
    process.exit(status);
}

main();
