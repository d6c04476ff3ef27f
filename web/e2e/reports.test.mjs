// The reports page against fleetd. The fleet is made through the API (vehicles); the pipeline that
// derives trips is not needed for what is checked here: the daily summary and utilisation list
// every vehicle and local day, trips included or not, so their rows come from the product. The
// page shows them (a hostile name as text), sorts them, draws the chart, downloads the CSV and XLSX
// exports of the same query, schedules the report by e-mail and deletes the schedule, and speaks
// French. Skipped on a build without the report routes. And end to end, where the build runs the
// pipeline: a phone (OsmAnd) drives a trip; the trip is in the trips report, its end reaches the
// manager as a live notification (a toast, from a rule made through the API), and the trip's end
// is acknowledged in the events inbox.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { browser, enrolledClient, Fleetd, hasRoute, newPage, PASSWORD, signInPage, localDay as day } from './harness.mjs';

let fleetd;
let chrome;
let manager;
const HOSTILE = '<img src=x onerror="window.pwned=1">';

before(async () => {
  fleetd = new Fleetd();
  fleetd.addTenant('acme');
  fleetd.addUser('acme', 'manager@acme.example', 'fleet-manager');
  fleetd.addUser('operator', 'ops@fleetd.example', 'operator-admin');
  await fleetd.start();
  chrome = await browser();
  manager = fleetd.client();
  await manager.api('POST', '/api/v1/auth/login', { email: 'manager@acme.example', password: PASSWORD });
  for (const name of ['Van 1', HOSTILE]) {
    const made = await manager.api('POST', '/api/v1/vehicles', { name });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
});

after(async () => {
  await chrome?.close();
  await fleetd?.stop();
});

describe('reports', () => {
  test('the daily summary: rows, sort, chart, CSV and XLSX exports', async (t) => {
    if (!(await hasRoute(fleetd.url, 'GET', '/api/v1/reports/summary'))) {
      assert.fail('GET /api/v1/reports/summary is missing from this build');
      return;
    }
    const page = await newPage(chrome, { timezoneId: 'Asia/Tokyo' });
    await signInPage(page, fleetd.url, 'manager@acme.example');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
    // Trips by default, over the last seven days; none without the pipeline's trips.
    await page.getByRole('heading', { name: 'Trips', level: 2 }).waitFor();
    await page.getByText('Nothing in this period.').waitFor();

    const zone = 'Europe/Paris'; // the tenant's default zone, not the browser's (Tokyo)
    await page.getByLabel('Report', { exact: true }).selectOption('summary');
    await page.getByLabel('From').fill(day(-2, zone));
    await page.getByLabel('To (included)').fill(day(0, zone));
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('heading', { name: 'Daily summary', level: 2 }).waitFor();
    assert.match(page.url(), new RegExp(`report=summary&from=${day(-2, zone)}&to=${day(0, zone)}`));
    await page.getByText(/days in Europe\/Paris/).waitFor();
    // Two vehicles × three local days.
    const table = page.locator('table.report-table');
    await table.waitFor();
    assert.equal(await table.locator('tbody tr').count(), 6);
    // The hostile name is text, never markup.
    await table.getByRole('link', { name: HOSTILE }).first().waitFor();
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    // The chart: one bar per day.
    const chart = page.getByRole('img', { name: /Distance per day/ });
    await chart.waitFor();
    assert.equal(await chart.locator('rect').count(), 3);

    // Sort by day, descending: today first.
    const dayHeader = page.getByRole('button', { name: 'Day' });
    await dayHeader.click();
    await dayHeader.click();
    assert.equal(await page.getByRole('columnheader', { name: /Day/ }).getAttribute('aria-sort'), 'descending');
    const firstDay = await table.locator('tbody tr').first().locator('td').first().textContent();
    const lastDay = await table.locator('tbody tr').last().locator('td').first().textContent();
    assert.notEqual(firstDay, lastDay);

    // The exports: the same query, downloaded with the session.
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    // Named by the server from the range's instants (the zone's midnights).
    assert.match(csv.suggestedFilename(), /^summary-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv$/);
    const lines = readFileSync(await csv.path(), 'utf8').trim().split('\r\n');
    assert.match(lines[0], /^date,/);
    assert.equal(lines.length, 7, lines.join('\n'));
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download XLSX' }).click()]);
    assert.equal(readFileSync(await xlsx.path()).subarray(0, 2).toString(), 'PK');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('utilisation and the eco ranking; a schedule by e-mail made and deleted; French', async (t) => {
    if (!(await hasRoute(fleetd.url, 'GET', '/api/v1/reports/schedules'))) {
      assert.fail('/api/v1/reports/schedules is missing from this build');
      return;
    }
    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'manager@acme.example');
    await page.goto(`${fleetd.url}/reports?report=utilisation`);
    await page.getByRole('heading', { name: 'Fleet utilisation', level: 2 }).waitFor();
    // The heading comes with the page, the rows and the chart with the answer: wait for the answer.
    await page.getByRole('img', { name: /Share of days used/ }).waitFor();
    assert.equal(await page.locator('table.report-table tbody tr').count(), 2);

    await page.getByLabel('Report', { exact: true }).selectOption('eco');
    await page.getByLabel('Rank', { exact: true }).selectOption('vehicle');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('heading', { name: 'Eco-driving ranking', level: 2 }).waitFor();
    assert.match(page.url(), /by=vehicle/);

    // A weekly XLSX of this ranking, then deleted.
    const schedules = page.getByRole('region', { name: 'Scheduled by e-mail' });
    await schedules.getByText('No scheduled report.').waitFor();
    await schedules.getByLabel('Frequency').selectOption('weekly');
    await schedules.getByRole('button', { name: 'Schedule' }).click();
    await schedules.getByText('Scheduled.').waitFor();
    const row = schedules.getByRole('row', { name: /Eco-driving ranking/ });
    await row.waitFor();
    assert.match(await row.textContent(), /Rank: vehicle.*Weekly.*XLSX/);
    page.once('dialog', (d) => void d.accept());
    await schedules.getByRole('button', { name: 'Delete the Weekly Eco-driving ranking schedule' }).click();
    await schedules.getByText('No scheduled report.').waitFor();

    // The page in French.
    await page.getByLabel('Language').selectOption('fr');
    await page.getByRole('heading', { name: 'Rapports', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Classement éco-conduite', level: 2 }).waitFor();
    await page.getByLabel('Rapport', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Télécharger en CSV' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('trips as the documented rows: values in words and units; too large a report offers no export', async () => {
    const page = await newPage(chrome);
    const trip = (i) => ({
      id: i, vehicle_id: 1, vehicle_name: 'Van 1', driver_id: 2, driver_name: 'Jeanne Martin',
      start_time: `2026-03-10T0${i}:00:00Z`, end_time: `2026-03-10T0${i}:39:00Z`, duration_s: 3_900, distance_m: 12_345,
      start_lat: 48.8, start_lon: 2.3, end_lat: 48.9, end_lon: 2.4, start_odometer_m: 1e6, end_odometer_m: 1e6 + 12_345,
      max_speed_kmh: 91, avg_speed_kmh: 42, idle_s: 120, overspeed_s: 0, harsh_acceleration: 0, harsh_braking: 1,
      harsh_cornering: 0, fuel_used_l: 1.25, eco_score: 87.4, device_id: 3,
    });
    await page.route('**/api/v1/reports/trips?*', (route) => {
      const q = new URL(route.request().url()).searchParams;
      assert.equal(q.get('limit'), '1000');
      return route.fulfill({
        json: { report: 'trips', time_zone: 'Europe/Paris', from: '', to: '', items: [trip(1), { ...trip(2), eco_score: null }, { ...trip(3), eco_score: 60 }], total: 30_000, limit: 1000, offset: 0 },
      });
    });
    await signInPage(page, fleetd.url, 'manager@acme.example');
    await page.goto(`${fleetd.url}/reports?report=trips&from=2026-03-10&to=2026-03-10`);
    const row = page.locator('table.report-table tbody tr').first();
    await row.waitFor();
    const text = await row.textContent();
    for (const part of ['Van 1', 'Jeanne Martin', '1 h 05 min', '12.3 km', '91 km/h', '2 min', '1.3 l', '87']) {
      assert.ok(text.includes(part), `${part} in ${text}`);
    }
    // Sorted by score either way, the trip without one stays last.
    const scores = async () => page.locator('table.report-table tbody tr td:nth-child(11)').allTextContents();
    await page.getByRole('button', { name: 'Eco score' }).click();
    assert.deepEqual(await scores(), ['60', '87', '—']);
    await page.getByRole('button', { name: 'Eco score' }).click();
    assert.deepEqual(await scores(), ['87', '60', '—']);
    await page.getByText('Too large to export (over 25,000 rows): narrow the period or the vehicles.').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Download CSV' }).count(), 0);
    await page.getByText(/^Rows 1–1000 of 30000/).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('end to end: a phone drives a trip; the report, a live notification, the inbox', async (t) => {
    const metrics = await (await fetch(`${fleetd.url}/metrics`)).text();
    if (!metrics.includes('fleetd_pipeline_positions_total')) {
      assert.fail('this build runs no pipeline');
      return;
    }
    // The operator registers the phone; the manager adds the vehicle and installs it an hour ago.
    const imei = 'phone-trip-1';
    const { client: ops } = await enrolledClient(fleetd, 'ops@fleetd.example');
    const device = await ops.api('POST', '/api/v1/devices', { imei, protocol: 'osmand', tenant: 'acme' });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    const vehicle = await manager.api('POST', '/api/v1/vehicles', { name: 'Van 7' });
    const installed = await manager.api('POST', '/api/v1/installations', {
      vehicle_id: vehicle.body.id, device_id: device.body.id, from: new Date(Date.now() - 3_600_000).toISOString(),
    });
    assert.equal(installed.status, 201, JSON.stringify(installed.body));
    const me = await manager.api('GET', '/api/v1/me');
    const rule = await manager.api('POST', '/api/v1/notification-rules', {
      name: 'Trips', event_types: ['trip_end'], channels: ['web'], user_ids: [me.body.id],
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));

    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'manager@acme.example');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('heading', { name: 'Trips', level: 2 }).waitFor();

    // Five minutes north at 60 km/h (a position every 10 s, about 5 km), then four minutes stopped:
    // without ignition, three minutes stopped end the trip.
    const start = Date.now() - 20 * 60_000;
    const knots = 60 / 1.852;
    const step = (60 / 3.6) * 10 / 111_195; // degrees of latitude per 10 s
    for (let i = 0; i <= 30; i++) {
      await fleetd.sendOsmand(imei, { lat: 48.0 + i * step, lon: 2.0, speedKnots: knots, bearing: 0, time: new Date(start + i * 10_000) });
    }
    for (let i = 1; i <= 8; i++) {
      await fleetd.sendOsmand(imei, { lat: 48.0 + 30 * step, lon: 2.0, speedKnots: 0, time: new Date(start + 300_000 + i * 30_000) });
    }

    // The trip's end reaches the manager while on the reports page: a toast and the count.
    await page.locator('.toast').getByText('Trip end — Van 7').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('bell').getAttribute('aria-label'), 'Notifications: 1 unread');

    await page.getByRole('button', { name: 'Show' }).click();
    const row = page.locator('table.report-table tbody tr').filter({ hasText: 'Van 7' });
    await row.waitFor();
    assert.match(await row.textContent(), /5\.0 km|4\.9 km/);
    assert.equal(await row.count(), 1);

    // The inbox: the trip's start and end; the end acknowledged on the page, and so on the server.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('button', { name: 'Acknowledge Trip end — Van 7' }).click();
    await page.getByText('1 event acknowledged.').waitFor();
    await page.getByRole('button', { name: 'Acknowledge Trip start — Van 7' }).waitFor();
    const done = await manager.api('GET', '/api/v1/events?acknowledged=true');
    assert.deepEqual(done.body.items.map((e) => e.type), ['trip_end']);
    // The trip's end on the history of its day: the timeline starts at that time.
    await page.getByLabel('State').selectOption('true');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('link', { name: 'History of the day of Trip end — Van 7' }).click();
    await page.getByRole('heading', { name: 'Van 7' }).waitFor();
    const at = Number(await page.getByRole('slider', { name: 'Timeline' }).inputValue());
    console.log(`# the trip's end is point ${at} of the day`);
    assert.ok(at >= 28 && at <= 33, `point ${at}`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
