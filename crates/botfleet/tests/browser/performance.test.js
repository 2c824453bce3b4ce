// Performance in the dashboard, against a demo whose history sampler writes a row every second
// (BOTFLEET_METRICS_INTERVAL_SECONDS=1): once the history has rows, a bot's page shows its uptime
// strip, uptime percentages and charts; the range picker works from the keyboard; a failed load
// says why and recovers; a bot with no history says so; the Overview shows the fleet's charts; the
// bot's page fits a phone.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, adminApi, launchBrowser, newPage, signIn, screenshot, eventually } from './harness.js';

const T = { timeout: 180_000 };
let demo;
let chrome;
let page;
let botId;

const strip = () => page.getByRole('img', { name: /^Uptime by / });

describe('performance charts and uptime', () => {
  before(async () => {
    demo = await startDemo({ rate: 1, env: { BOTFLEET_METRICS_INTERVAL_SECONDS: '1' } });
    botId = (await adminApi(demo, 'GET', '/bots')).items.find((b) => b.name === 'Shop Helper').id;
    chrome = await launchBrowser();
    page = await newPage(chrome.browser, demo);
    await signIn(page, 'admin', demo.password);
  });

  after(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  it("shows a bot's uptime strip, uptime and charts once the history has rows", T, async () => {
    // The sampler's rows, with the bot observed (span_ms > 0), before the page is opened.
    await eventually(async () => (await adminApi(demo, 'GET', `/performance?bot_id=${botId}`)).items.some((r) => r.span_ms > 0), { what: 'performance rows' });
    await page.goto(`/#/bots/${botId}`);
    await page.getByRole('heading', { name: 'Performance', exact: true }).waitFor();
    await strip().waitFor();
    // One segment per minute of the hour; the minutes since the demo started are coloured (the first
    // one may be partly down: starting counts as down), the ones before it grey.
    const said = (await strip().getAttribute('aria-label')).match(/1-minute span over the last hour: (\d+) up, (\d+) partly down, (\d+) down, (\d+) not observed/);
    assert.ok(said, await strip().getAttribute('aria-label'));
    const [up, partly, down, unknown] = said.slice(1).map(Number);
    assert.equal(up + partly + down + unknown, 60);
    assert.ok(up + partly + down >= 1, 'a span the bot was observed in');
    assert.equal(await strip().locator('.seg').count(), 60);
    assert.equal(await strip().locator('.seg-up, .seg-partial, .seg-down').count(), up + partly + down);
    assert.equal(await strip().locator('.seg-unknown').count(), unknown);
    // The percentages (from /bots/{id}/health) and the three charts.
    const hour = page.locator('.tile', { hasText: 'Uptime, last hour' }).locator('.tile-value');
    await eventually(async () => /^\d+(\.\d+)?%$/.test(await hour.textContent()), { what: 'the hour uptime' });
    for (const label of ['Commands/s', 'Mean reply latency', 'Errors']) {
      const figure = page.locator('.perf figure', { hasText: label });
      await figure.locator('canvas').first().waitFor();
      assert.match(await figure.locator('figcaption').textContent(), /average|no figures/);
    }
    await page.getByRole('img', { name: /^Commands\/s per 1-minute span over the last hour/ }).waitFor();
    await page.getByRole('heading', { name: 'Performance', exact: true }).evaluate((el) => el.scrollIntoView());
    await screenshot(page, 'bot-performance');
    assert.deepEqual(page.problems, []);
  });

  it('changes the range from the keyboard', T, async () => {
    await page.goto(`/#/bots/${botId}`);
    await strip().waitFor();
    const day = page.getByRole('button', { name: '24h', exact: true });
    await day.focus();
    await page.keyboard.press('Enter');
    assert.equal(await day.getAttribute('aria-pressed'), 'true');
    await page.getByRole('img', { name: /^Uptime by 15-minute span over the last 24 hours/ }).waitFor();
    assert.equal(await strip().locator('.seg').count(), 96);
    await page.keyboard.press('Tab');
    const week = page.getByRole('button', { name: '7d', exact: true });
    assert.equal(await week.evaluate((b) => b === document.activeElement), true, 'Tab reaches the next range');
    await page.keyboard.press('Space');
    await page.getByRole('img', { name: /^Uptime by hour span over the last 7 days/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: '1h', exact: true }).getAttribute('aria-pressed'), 'false');
    assert.deepEqual(page.problems, []);
  });

  it('says why a load failed, and recovers', T, async () => {
    await page.goto(`/#/bots/${botId}`);
    await strip().waitFor();
    const refuse = (route) => route.fulfill({
      status: 503, contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'unavailable', message: 'the database is not answering' } }),
    });
    await page.route('**/api/v1/performance?*', refuse);
    await page.getByRole('button', { name: '24h', exact: true }).click();
    const failure = page.locator('.perf .state-error', { hasText: 'the database is not answering' });
    await failure.waitFor();
    await page.unroute('**/api/v1/performance?*', refuse);
    await failure.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('img', { name: /^Uptime by 15-minute span/ }).waitFor();
    assert.deepEqual(page.problems, []);
  });

  it('says when a bot has no history yet', T, async () => {
    const fresh = await adminApi(demo, 'POST', '/bots', { name: 'Night Shift', token: 'MTAwMDAwMDAwMDAwMDAwMDA5.Abcdef.another-token-of-the-right-shape' });
    // The page's lookup of the bot's servers is a REST call with the bot's token, which the
    // history records (its 401 is a REST call of that bot): kept away from Discord, the bot has
    // no history at all, rather than none only until the sampler's next second.
    const noLookup = (route) => route.fulfill({
      status: 503, contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'unavailable', message: 'not asked in this test' } }),
    });
    await page.route(`**/api/v1/bots/${fresh.id}/guilds?*`, noLookup);
    await page.goto(`/#/bots/${fresh.id}`);
    await page.locator('.perf .state-empty', { hasText: 'No figures for the last hour yet' }).waitFor();
    await page.unroute(`**/api/v1/bots/${fresh.id}/guilds?*`, noLookup);
    assert.equal(await page.locator('.tile', { hasText: 'Uptime, 7 days' }).locator('.tile-value').textContent(), '—');
    assert.deepEqual(page.problems, []);
  });

  it("shows the fleet's commands, latency and memory on the Overview", T, async () => {
    await page.goto('/#/');
    await page.getByRole('heading', { name: 'Fleet performance' }).waitFor();
    for (const label of ['Commands/s', 'Mean reply latency', 'Memory']) {
      await page.locator('.perf figure', { hasText: label }).locator('canvas').first().waitFor();
    }
    await page.locator('.perf figure', { hasText: 'Memory' }).locator('figcaption', { hasText: /MB/ }).waitFor();
    assert.deepEqual(page.problems, []);
  });

  it("fits a bot's performance on a phone", T, async () => {
    const phone = await newPage(chrome.browser, demo, { width: 390, height: 844 });
    await signIn(phone, 'admin', demo.password);
    await phone.goto(`/#/bots/${botId}`);
    await phone.getByRole('img', { name: /^Uptime by / }).waitFor();
    await phone.locator('.perf figure canvas').first().waitFor();
    const fits = await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    assert.equal(fits, true, 'no sideways scrolling');
    const box = await phone.getByRole('img', { name: /^Uptime by / }).boundingBox();
    assert.ok(box.width > 250 && box.x >= 0 && box.x + box.width <= 390, `the strip fits: ${JSON.stringify(box)}`);
    await phone.getByRole('heading', { name: 'Uptime', exact: true }).evaluate((el) => el.scrollIntoView());
    await screenshot(phone, 'bot-performance-phone');
    assert.deepEqual(phone.problems, []);
    await phone.context().close();
  });
});
