// `npm run perf:live`: the live map with 5,000 vehicles ("smooth with 5,000 vehicles"). The page is
// the real one served by fleetd (a viewer signs in); the positions and the live feed are played by
// Playwright (documented answers of GET /api/v1/positions/latest and /api/v1/live), so the figures
// are the browser's alone. Measured:
// - ready: from opening /map (signed in) until the list says "5000 vehicles", the clusters are
//   drawn and the feed is live (median of RUNS);
// - then, while every vehicle moves — UPDATES_PER_S position messages a second over the WebSocket
//   for SECONDS seconds, sent in batches every 100 ms — the frame rate (requestAnimationFrame
//   callbacks counted in the page over the window) and long tasks (PerformanceObserver 'longtask',
//   tasks over 50 ms): count, total and longest.
// Env: VEHICLES (5000), UPDATES_PER_S (500), SECONDS (10), RUNS (3), FLEETD, CHROMIUM.
import { browser, Fleetd, newPage, signInPage } from './harness.mjs';

const VEHICLES = Number(process.env.VEHICLES ?? 5000);
const UPDATES_PER_S = Number(process.env.UPDATES_PER_S ?? 500);
const SECONDS = Number(process.env.SECONDS ?? 10);
const RUNS = Number(process.env.RUNS ?? 3);
const BATCH_MS = 100;

function position(id, lat, lon, extra = {}) {
  const now = new Date().toISOString();
  return { vehicle_id: id, vehicle_name: `Truck ${String(id).padStart(4, '0')}`, device_id: 100000 + id, time: now,
    server_time: now, lat, lon, altitude: 30, speed_kmh: 0, course: 0, satellites: 9, valid: true, attributes: {}, ...extra };
}
// 5,000 vehicles over France-sized ground (a grid of 100 × 50 cells of 0.1°).
const fleet = [];
for (let i = 0; i < VEHICLES; i++) fleet.push(position(i + 1, 43 + (i % 100) * 0.06, -1 + Math.floor(i / 100) * 0.15));

const fleetd = new Fleetd();
fleetd.addTenant('acme');
fleetd.addUser('acme', 'viewer@acme.example', 'viewer');
await fleetd.start();
const chrome = await browser();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const results = [];
  for (let run = 0; run < RUNS; run++) {
    const page = await newPage(chrome);
    const sockets = [];
    await page.route('**/api/v1/positions/latest', (route) => route.fulfill({ json: { items: fleet } }));
    await page.routeWebSocket('**/api/v1/live', (ws) => sockets.push(ws));
    await signInPage(page, fleetd.url, 'viewer@acme.example');
    await page.goto('about:blank');
    const started = Date.now();
    await page.goto(`${fleetd.url}/map`);
    await page.getByText(`${VEHICLES} vehicles`).waitFor();
    await page.locator('.vm-cluster, .leaflet-marker-icon.vm').first().waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    const ready = Date.now() - started;

    await page.evaluate(() => {
      const m = { frames: 0, longTasks: [], start: performance.now() };
      window.__perf = m;
      const tick = () => {
        m.frames++;
        if (!m.stopped) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) m.longTasks.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    // Every vehicle moves: each batch takes the next vehicles in turn, a step east and a new speed.
    const perBatch = Math.round((UPDATES_PER_S * BATCH_MS) / 1000);
    let next = 0;
    let sent = 0;
    const t0 = Date.now();
    for (let b = 0; b < (SECONDS * 1000) / BATCH_MS; b++) {
      for (let k = 0; k < perBatch; k++) {
        const p = fleet[next];
        next = (next + 1) % VEHICLES;
        p.lon += 0.001;
        sockets.at(-1).send(JSON.stringify({ type: 'position', ...p, time: new Date().toISOString(), speed_kmh: 50, course: 90 }));
        sent++;
      }
      const wait = t0 + (b + 1) * BATCH_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const m = await page.evaluate(() => {
      const p = window.__perf;
      p.stopped = true;
      return { frames: p.frames, ms: performance.now() - p.start, longTasks: p.longTasks };
    });
    const fps = (m.frames * 1000) / m.ms;
    const longTotal = m.longTasks.reduce((a, b) => a + b, 0);
    const longMax = Math.max(0, ...m.longTasks);
    console.log(`run ${run + 1}: ready ${ready} ms; ${sent} updates in ${((Date.now() - t0) / 1000).toFixed(1)} s: ` +
      `${fps.toFixed(1)} frames/s, ${m.longTasks.length} long tasks (${Math.round(longTotal)} ms in all, ` +
      `longest ${Math.round(longMax)} ms)`);
    if (page.problems.length) console.log(`page problems: ${page.problems.join('; ')}`);
    results.push({ ready, fps, long: m.longTasks.length, longTotal, longMax });
    await page.context().close();
  }
  console.log(`${VEHICLES} vehicles, ${UPDATES_PER_S} updates/s for ${SECONDS} s, median of ${RUNS}: ` +
    `ready ${median(results.map((r) => r.ready))} ms, ${median(results.map((r) => r.fps)).toFixed(1)} frames/s, ` +
    `${median(results.map((r) => r.long))} long tasks (${Math.round(median(results.map((r) => r.longTotal)))} ms, ` +
    `longest ${Math.round(median(results.map((r) => r.longMax)))} ms)`);
} finally {
  await chrome.close();
  await fleetd.stop();
}
