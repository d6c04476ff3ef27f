// End-to-end harness: the real fleetd (build/fleetd) on 127.0.0.1 with a temporary data folder and
// this build of the web application (web/dist), and Debian's Chromium driven headless by
// playwright-core. Accounts are made with `fleetd admin`, as an operator would.
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const WEB = new URL('..', import.meta.url).pathname;
export const FLEETD = process.env.FLEETD ?? join(WEB, '..', 'build', 'fleetd');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Tests hash with a tiny argon2id cost so they stay fast; the default is a real cost.
const FAST_HASH = ['--argon2-memory-kib', '64', '--argon2-ops', '1'];
export const PASSWORD = 'plum-orchard-telescope-42';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export class Fleetd {
  constructor() {
    this.data = mkdtempSync(join(tmpdir(), 'fleetd-e2e-'));
    this.proc = null;
    this.log = '';
  }

  admin(...args) {
    const input = args.at(-1)?.stdin;
    const argv = input === undefined ? args : args.slice(0, -1);
    const r = spawnSync(FLEETD, ['admin', '--data', this.data, ...argv], { input, encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`fleetd admin ${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  addTenant(name) {
    return JSON.parse(this.admin('tenant', 'add', '--name', name));
  }

  addUser(tenant, email, role, { mustChange = false, password = PASSWORD } = {}) {
    const flags = mustChange ? ['--must-change-password'] : [];
    const out = this.admin('user', 'add', '--tenant', tenant, '--email', email, '--role', role, '--password-stdin',
      ...flags, ...FAST_HASH, { stdin: `${password}\n` });
    return JSON.parse(out);
  }

  // Ports are picked free, then let go and handed to fleetd: another process on the machine may take
  // one in between, so a start that finds its port taken is tried again with new ones.
  async start(...flags) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce(flags);
      } catch (e) {
        if (attempt === 3 || !/Address already in use/.test(String(e))) throw e;
      }
    }
  }

  async startOnce(flags) {
    this.log = '';
    this.httpPort = await freePort();
    this.osmandPort = await freePort();
    // Teltonika only for those who drive simulated trackers (set `teltonika = true` before start).
    this.teltonikaPort = this.teltonika ? await freePort() : 0;
    const args = ['serve', '--data', this.data, '--listen', '127.0.0.1', '--http-port', String(this.httpPort),
      '--teltonika-port', String(this.teltonikaPort), '--gt06-port', '0', '--osmand-port', String(this.osmandPort),
      '--web-dir', join(WEB, 'dist'), '--tile-url', '', ...FAST_HASH, ...flags];
    this.proc = spawn(FLEETD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d) => {
      this.log = (this.log + d).slice(-20_000);
    });
    const lines = createInterface({ input: this.proc.stdout });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fleetd did not start:\n${this.log}`)), 15_000);
      this.proc.once('exit', (code) => reject(new Error(`fleetd exited (${code}):\n${this.log}`)));
      lines.on('line', (line) => {
        if (line.startsWith('fleetd ready:')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    this.url = `http://127.0.0.1:${this.httpPort}`;
    return this;
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise((resolve) => this.proc.once('exit', resolve));
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.data, { recursive: true, force: true });
  }

  // A client of the API with its own cookies (for set-up done the way a script would).
  client() {
    return new ApiClient(this.url);
  }

  // Sends one position as a phone running OsmAnd / Traccar Client would.
  async sendOsmand(deviceId, { lat, lon, speedKnots = 0, bearing = 0, time = new Date() }) {
    const q = new URLSearchParams({ id: deviceId, lat: String(lat), lon: String(lon), speed: String(speedKnots),
      bearing: String(bearing), timestamp: String(Math.floor(time.getTime() / 1000)) });
    const res = await fetch(`http://127.0.0.1:${this.osmandPort}/?${q}`, { method: 'POST' });
    if (res.status !== 200) throw new Error(`osmand answered ${res.status}`);
  }
}

// The Set-Cookie headers of an answer. Node 18's fetch (Debian 12's, with its own undici) lacks
// Headers.getSetCookie and joins them with ", "; fleetd's cookies hold no comma (no Expires), so
// splitting before each "name=" is exact for them.
function setCookies(headers) {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
  const joined = headers.get('set-cookie');
  return joined ? joined.split(/,\s*(?=[^;,=\s]+=)/) : [];
}

// Calls the API like a browser would (cookies, CSRF token, same Origin), with its own cookie jar.
export class ApiClient {
  constructor(url) {
    this.url = url;
    this.jar = new Map();
  }

  async api(method, path, body) {
    const headers = { 'Content-Type': 'application/json', Origin: this.url };
    if (this.jar.size) headers.Cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const csrf = this.jar.get('__Host-fleetd_csrf');
    if (csrf) headers['X-CSRF-Token'] = csrf;
    const res = await fetch(this.url + path, { method, headers, body: body && JSON.stringify(body) });
    for (const c of setCookies(res.headers)) {
      const [name, value] = c.split(';')[0].split(/=(.*)/s);
      this.jar.set(name, value);
    }
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
}

// The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret, `step` periods from now.
export function totp(secretBase32, step = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/[\s=]/g, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, '0');
}

// Headless Chromium (Debian's); `locale` sets the browser's language, as a person's settings would.
export async function browser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

export async function newPage(b, { locale = 'en-GB', viewport = { width: 1280, height: 800 }, timezoneId } = {}) {
  const context = await b.newContext({ locale, viewport, timezoneId });
  const page = await context.newPage();
  const problems = [];
  // A CSP refusal or a script error is a failure of the page, whatever the test looks at.
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.problems = problems;
  return page;
}

// Signs in through the API and enrols TOTP there (as the user would have done earlier); answers
// the client and the secret.
// `step`: the TOTP period the confirming code is taken from (a test that needs several codes starts
// early, since each period's code is accepted once).
export async function enrolledClient(fleetd, email, { password = PASSWORD, step = 0 } = {}) {
  const client = fleetd.client();
  const login = await client.api('POST', '/api/v1/auth/login', { email, password });
  if (login.status !== 200) throw new Error(`login ${email}: ${login.status} ${JSON.stringify(login.body)}`);
  const { body: enrolment } = await client.api('POST', '/api/v1/auth/totp/enroll', {});
  const confirmed = await client.api('POST', '/api/v1/auth/totp/confirm', { code: totp(enrolment.secret, step) });
  if (confirmed.status !== 200) throw new Error(`totp confirm ${email}: ${confirmed.status}`);
  return { client, secret: enrolment.secret };
}

// Signs in on the page (with the TOTP code when `secret` is given) and waits for the frame.
export async function signInPage(page, url, email, { secret, password = PASSWORD, step = 1 } = {}) {
  await page.goto(`${url}/signin`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (secret) {
    await page.getByLabel('Authentication code').fill(totp(secret, step));
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

// "YYYY-MM-DD" of a day in a zone, `offsetDays` from today (built from parts: Node 18's ICU
// formats some locales' dates differently).
export function localDay(offsetDays, zone) {
  const parts = new Intl.DateTimeFormat('en', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date(Date.now() + offsetDays * 86_400_000));
  const v = (type) => parts.find((p) => p.type === type).value;
  return `${v('year')}-${v('month')}-${v('day')}`;
}

// Whether a route is on this build: an unknown path under /api answers 404 before any sign-in
// check, a known one 401 without a session.
export async function hasRoute(url, method, path) {
  const res = await fetch(url + path, { method, headers: { Origin: url } });
  return res.status !== 404;
}
