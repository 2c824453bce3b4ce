// Starts what a browser test needs, for real: the botfleet binary in demo mode (service + Discord
// emulator + three bots, on port 0 with a fresh data directory), Debian's chromium through
// playwright-core, and helpers to make users, sign in, act as a Discord user and wait on
// conditions with generous deadlines (never a fixed sleep as an assertion).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../../..');
export const screenshotDir = join(repoRoot, 'docs/screenshots');

/** The botfleet binary: $BOTFLEET_BIN, else the debug build under $CARGO_TARGET_DIR (or ./target). */
export function binaryPath() {
  if (process.env.BOTFLEET_BIN) return process.env.BOTFLEET_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(repoRoot, 'target');
  return join(target, 'debug', 'botfleet');
}

export function chromiumPath() {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

/** Parses JSON whose large integers (the emulator's snowflakes) would lose digits as numbers. */
export function parseBigJson(text) {
  return JSON.parse(text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
}

/**
 * Runs `botfleet demo` and resolves when it has printed its addresses and credentials:
 * {api, origin, password, key, emulator, stop()}.
 */
export async function startDemo({ rate = 0.5, env = {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'botfleet-browser-'));
  const child = spawn(binaryPath(), ['demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--rate', String(rate)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Alerts are judged every half second, so a rule fires soon after a test makes it.
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn', BOTFLEET_ALERT_EVALUATION_MS: '500', ...env },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const info = await new Promise((resolveInfo, reject) => {
    const timer = setTimeout(() => reject(new Error(`botfleet demo did not start in 60 s:\n${out}\n${err}`)), 60_000);
    child.on('error', (e) => reject(new Error(`could not run ${binaryPath()}: ${e.message}`)));
    child.on('exit', (code) => reject(new Error(`botfleet demo exited with ${code}:\n${out}\n${err}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const api = out.match(/^\s*API\s+(http\S+)/m)?.[1];
      const password = out.match(/^\s*Sign in\s+admin \/ (\S+)/m)?.[1];
      const key = out.match(/^\s*API key\s+(bf_\S+)/m)?.[1];
      const emulator = out.match(/^\s*Discord \(emu\)\s+(http\S+)/m)?.[1];
      if (api && password && key && emulator) {
        clearTimeout(timer);
        resolveInfo({ api, origin: new URL(api).origin, password, key, emulator });
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    ...info,
    dataDir,
    logs: () => err,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => { child.once('exit', r); setTimeout(r, 10_000); });
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A request to botfleet's API with the admin key. */
export async function adminApi(demo, method, path, body) {
  const response = await fetch(`${demo.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${demo.key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Makes a user with a role and a known password. */
export async function makeUser(demo, username, role) {
  const password = `${username}-password-123`;
  await adminApi(demo, 'POST', '/users', { username, password, role });
  return { username, password };
}

/** The emulator's world: its guild, channels by name and human users by name (ids as strings). */
export async function world(demo) {
  const text = await (await fetch(`${demo.emulator}/_emulator/world`)).text();
  const w = parseBigJson(text);
  const channels = Object.fromEntries(w.guilds.flatMap((g) => g.channels).map((c) => [c.name, c.id]));
  const users = Object.fromEntries(w.users.filter((u) => !u.bot).map((u) => [u.username, u.id]));
  return { guild: w.guilds[0].id, channels, users };
}

/** A control-API call to the emulator; resolves with the answer's text (ids stay exact). */
export async function emulatorPost(demo, path, body) {
  const response = await fetch(`${demo.emulator}/_emulator${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`emulator ${path}: ${response.status} ${text}`);
  return text;
}

/** A Discord user posts `content` in a channel (as a person would, through the emulator). */
export async function userSays(demo, channelId, userId, content) {
  const body = `{"author_id": ${userId}, "content": ${JSON.stringify(content)}}`;
  const response = await fetch(`${demo.emulator}/_emulator/channels/${channelId}/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body,
  });
  if (!response.ok) throw new Error(`emulator message: ${response.status} ${await response.text()}`);
}

/**
 * Debian's chromium, headless, with no background networking (without these flags it keeps
 * calling home on a closed network). playwright-core gives each launch a fresh, empty
 * --user-data-dir of its own (it refuses one passed in args), removed when the browser closes.
 */
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** A new page at laptop width that fails the test on any page error or CSP violation. */
export async function newPage(browser, demo, { width = 1366, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, baseURL: demo.origin });
  const page = await context.newPage();
  page.problems = [];
  // What the live WebSocket brought, for tests that wait for a message to have arrived.
  page.liveFrames = [];
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => page.liveFrames.push(String(payload))));
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(text)) page.problems.push(`CSP: ${text}`);
  });
  return page;
}

/** Signs in through the sign-in page and waits for the shell. */
export async function signIn(page, username, password) {
  await page.goto('/');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 30_000 });
}

/** Saves a screenshot to docs/screenshots/<name>.png. */
export async function screenshot(page, name) {
  if (!existsSync(screenshotDir)) mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: false });
}

/** Polls `check` until it returns a truthy value or `timeout` ms pass. */
export async function eventually(check, { timeout = 30_000, every = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}
