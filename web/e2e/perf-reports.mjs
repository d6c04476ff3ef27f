// `npm run perf:reports`: what the reports page costs in the browser, where it reads up to 1,000 rows
// at a time and sorts them itself. fleetd serves the page and the sign-in; the trips report is played
// by Playwright (the documented rows), so the figures are the page's: from "Show" to the first page
// of the table, and from a click on a column header to the table sorted, with 1,000 rows and, as the
// baseline in the same run, 10 rows. RUNS (default 5) runs each; the median and the range.
import { browser, Fleetd, newPage, signInPage } from './harness.mjs';

const RUNS = Number(process.env.RUNS ?? 5);

function trips(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const start = Date.parse('2026-03-01T06:00:00Z') + i * 2_400_000;
    out.push({
      id: i + 1, vehicle_id: 1 + (i % 40), vehicle_name: `Van ${1 + (i % 40)}`, driver_id: null, driver_name: null,
      start_time: new Date(start).toISOString(), end_time: new Date(start + 1_800_000).toISOString(),
      duration_s: 1_800, distance_m: 5_000 + ((i * 7919) % 40_000), start_lat: 48.8, start_lon: 2.3, end_lat: 48.9,
      end_lon: 2.4, start_odometer_m: 1e6, end_odometer_m: 1e6 + 5_000, max_speed_kmh: 50 + (i % 70), avg_speed_kmh: 40,
      idle_s: 60, overspeed_s: 0, harsh_acceleration: 0, harsh_braking: 0, harsh_cornering: 0, fuel_used_l: 1.2,
      eco_score: (i * 37) % 101, device_id: 1 + (i % 40),
    });
  }
  return out;
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return `${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms (${sorted[0].toFixed(0)}–${sorted.at(-1).toFixed(0)})`;
}

const fleetd = new Fleetd();
fleetd.addTenant('acme');
fleetd.addUser('acme', 'manager@acme.example', 'fleet-manager');
await fleetd.start();
const chrome = await browser();
try {
  const rows = [];
  for (const n of [10, 1000]) {
    const items = trips(n);
    const shown = [];
    const sorted = [];
    for (let run = 0; run < RUNS; run++) {
      const page = await newPage(chrome);
      await page.route('**/api/v1/reports/trips?*', (r) =>
        r.fulfill({ json: { report: 'trips', time_zone: 'Europe/Paris', from: '', to: '', items, total: n, limit: 1000, offset: 0 } }),
      );
      await page.routeWebSocket('**/api/v1/live', () => {});
      await signInPage(page, fleetd.url, 'manager@acme.example');
      await page.goto(`${fleetd.url}/reports?report=trips&from=2026-03-01&to=2026-03-31`);
      await page.locator('table.report-table').waitFor();
      let t0 = Date.now();
      await page.getByRole('button', { name: 'Show' }).click();
      await page.locator('table.report-table tbody tr').first().waitFor();
      await page.waitForFunction(() => document.querySelectorAll('table.report-table tbody tr').length > 0);
      shown.push(Date.now() - t0);
      const first = await page.locator('table.report-table tbody tr td').nth(5).textContent();
      t0 = Date.now();
      await page.getByRole('button', { name: 'Distance' }).click();
      await page.getByRole('button', { name: 'Distance' }).click(); // descending: the longest first
      await page.waitForFunction(
        (f) => document.querySelectorAll('table.report-table tbody tr td')[5]?.textContent !== f,
        first,
      );
      sorted.push(Date.now() - t0);
      await page.context().close();
    }
    rows.push(`| ${n} rows | ${stats(shown)} | ${stats(sorted)} |`);
  }
  console.log(`reports page, trips played by the test, ${RUNS} runs each (median, range)`);
  console.log('| report | "Show" to the table | two header clicks to sorted descending |');
  console.log('|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  await chrome.close();
  await fleetd.stop();
}
