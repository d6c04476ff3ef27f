// `make screenshots`: a picture of each main page in docs/screenshots/, taken in Chromium against
// the real fleetd. The live map, vehicles, vehicle page, history and devices show a demo fleet played
// by the script (the answers the API documents), so the pictures do not depend on simulators or
// timing; the map has no tiles here (no network), as it would offline.
import { mkdirSync } from 'node:fs';
import { browser, Fleetd, newPage, PASSWORD } from './harness.mjs';

const OUT = new URL('../../docs/screenshots/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });

const names = ['Van', 'Truck', 'Car', 'Bus'];
const fleet = [];
for (let i = 0; i < 60; i++) {
  const moving = i % 3 === 0;
  fleet.push({
    vehicle_id: i + 1,
    vehicle_name: `${names[i % 4]} ${String(i + 1).padStart(2, '0')}`,
    device_id: i + 1,
    time: new Date(Date.now() - (i % 7 === 6 ? 3_600_000 : (i % 5) * 20_000)).toISOString(),
    lat: 48.80 + ((i * 37) % 100) / 800,
    lon: 2.25 + ((i * 53) % 100) / 500,
    speed_kmh: moving ? 30 + (i % 40) : 0,
    course: (i * 47) % 360,
    valid: true,
    attributes: {
      ignition: i % 3 !== 2,
      odometer_m: 48_000_000 + i * 1_234_567,
      battery_v: 4.1,
      external_voltage_v: 13.8,
      ...(i === 10 ? { alarm: 'sos' } : {}),
      ...(i === 4 ? { driver_id: '01AB23CD45EF6789', dtc_codes: 'P0300' } : {}),
    },
  });
}
const since = '2025-09-01T08:00:00.000Z';
const vehicles = fleet.slice(0, 12).map((p, i) => ({
  id: p.vehicle_id,
  name: p.vehicle_name,
  plate: `GH-${100 + i}-KL`,
  vin: `VF1RFB00${String(612345670 + i)}`,
  make: i % 2 ? 'Renault' : 'Peugeot',
  model: i % 2 ? 'Master' : 'Partner',
  sale_date: '2024-05-14',
  insurance_date: '2026-05-13',
  technical: {},
  group_ids: [],
  created_at: since,
  archived_at: null,
  installation: { id: i + 1, device_id: i + 1, imei: String(350000000000006 + i * 8), from: since },
}));
const devices = vehicles.map((v, i) => ({
  id: i + 1, imei: v.installation.imei, protocol: 'teltonika', name: `FMB920 #${i + 1}`, status: 'active',
  model: 'FMB920', firmware: '03.28.07', tenant: 'acme', vehicle_id: v.id, created_at: since,
}));
const page1 = (items) => ({ items, total: items.length, limit: 50, offset: 0 });
// A morning's drive through Paris for the history page: 10-second positions, speeds that vary.
const route = [];
const routeStart = Date.parse('2026-03-10T07:30:00Z');
for (let i = 0; i < 360; i++) {
  const a = i / 60;
  route.push({
    device_id: 5, time: new Date(routeStart + i * 10_000).toISOString(), server_time: new Date(routeStart + i * 10_000 + 900).toISOString(),
    lat: 48.83 + 0.02 * Math.sin(a) + i * 0.00005, lon: 2.29 + i * 0.0003 + 0.01 * Math.cos(a * 1.7),
    altitude: 40, speed_kmh: Math.max(0, 55 + 45 * Math.sin(i / 17) + (i % 11) - 5), course: (90 + 40 * Math.cos(a)) % 360,
    satellites: 11, valid: true, attributes: {},
  });
}

// Reports and events for the reports and alerts pages (the documented rows).
const days = ['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13', '2026-03-14', '2026-03-15'];
const summaryRows = [];
days.forEach((d, di) => vehicles.slice(0, 4).forEach((v, vi) => {
  const trips = di >= 5 ? (vi === 0 ? 1 : 0) : 2 + ((di + vi) % 4);
  summaryRows.push({
    date: d, vehicle_id: v.id, vehicle_name: v.name, trips, distance_m: trips * (8_000 + ((di * 7 + vi * 13) % 10) * 3_100),
    driving_s: trips * 1_500, idle_s: trips * 140, max_speed_kmh: trips ? 70 + ((di + vi) % 5) * 8 : null,
    first_start: trips ? `${d}T06:${10 + vi}:00Z` : null, last_end: trips ? `${d}T16:${20 + vi}:00Z` : null, fuel_used_l: trips ? trips * 1.4 : null,
  });
}));
const report = (name, items) => ({ report: name, time_zone: 'Europe/Paris', from: '2026-03-08T23:00:00Z', to: '2026-03-15T23:00:00Z', items, total: items.length, limit: 1000, offset: 0 });
const drivers = ['Jeanne Martin', 'Karim Haddad', 'Sofia Rossi', 'Lucas Bernard', 'Emma Petit'];
const ecoRows = drivers.map((name, i) => ({
  rank: i + 1, driver_id: i + 1, driver_name: name, eco_score: 92 - i * 9, trips: 30 - i * 3, distance_m: 640_000 - i * 70_000,
  duration_s: 90_000 - i * 9_000, harsh_acceleration: i * 2, harsh_braking: i * 3, harsh_cornering: i, harsh_per_100km: i * 1.1,
  overspeed_share: i * 0.02, idle_share: 0.05 + i * 0.02,
}));
const eventRows = [
  ['overspeed', { speed_kmh: 97, limit_kmh: 80 }], ['harsh_braking', {}], ['geofence_enter', {}], ['low_battery', { voltage_v: 11.2 }],
  ['unknown_badge', { badge: '01FF00AA11BB22CC' }], ['idling', { duration_s: 900 }],
].map(([type, detail], i) => ({
  id: 40 - i, time: new Date(Date.parse('2026-03-12T09:40:00Z') - i * 1_730_000).toISOString(), type, vehicle_id: vehicles[i].id,
  vehicle_name: vehicles[i].name, driver_id: i === 0 ? 1 : null, driver_name: i === 0 ? 'Jeanne Martin' : null,
  geofence_id: type === 'geofence_enter' ? 2 : null, geofence_name: type === 'geofence_enter' ? 'Rungis depot' : null,
  lat: 48.82 + i * 0.01, lon: 2.30 + i * 0.015, detail, acknowledged_at: null, acknowledged_by: null, device_id: i + 1,
}));

const fleetd = new Fleetd();
fleetd.addTenant('acme');
fleetd.addUser('acme', 'manager@acme.example', 'fleet-manager');
fleetd.addUser('acme', 'admin@acme.example', 'tenant-admin');
await fleetd.start();
const chrome = await browser();

async function page(options) {
  const p = await newPage(chrome, options);
  await p.route('**/api/v1/positions/latest', (r) => r.fulfill({ json: { items: fleet } }));
  await p.route('**/api/v1/positions/latest?*', (r) => r.fulfill({ json: { items: fleet.slice(4, 5) } }));
  await p.route('**/api/v1/vehicles?*', (r) => r.fulfill({ json: page1(vehicles) }));
  await p.route('**/api/v1/vehicles/5', (r) => r.fulfill({ json: vehicles[4] }));
  await p.route('**/api/v1/vehicles/5/installations?*', (r) =>
    r.fulfill({ json: page1([{ id: 5, vehicle_id: 5, device_id: 5, imei: devices[4].imei, from: since, to: null, note: 'behind the dashboard', created_at: since }]) }),
  );
  await p.route('**/api/v1/vehicles/5/positions?*', (r) =>
    r.fulfill({ json: { vehicle_id: 5, vehicle_name: vehicles[4].name, from: '', to: '', positions: route } }),
  );
  await p.route('**/api/v1/devices/5', (r) => r.fulfill({ json: devices[4] }));
  await p.route('**/api/v1/devices?*', (r) => r.fulfill({ json: page1(devices) }));
  await p.route('**/api/v1/drivers?*', (r) =>
    r.fulfill({ json: page1([{ id: 1, name: 'Jeanne Martin', badge_id: '01AB23CD45EF6789', employee_number: 'E-104', user_id: null, created_at: since }]) }),
  );
  await p.routeWebSocket('**/api/v1/live', () => {});
  return p;
}

async function signIn(p, email) {
  await p.goto(`${fleetd.url}/signin`);
  await p.getByLabel('E-mail').fill(email);
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

try {
  const desktop = await page();
  await desktop.goto(`${fleetd.url}/signin`);
  await desktop.getByRole('heading', { name: 'Sign in' }).waitFor();
  await desktop.screenshot({ path: `${OUT}sign-in.png` });

  await signIn(desktop, 'admin@acme.example');
  await desktop.getByRole('button', { name: 'Start' }).click();
  await desktop.getByRole('img', { name: /QR code/ }).waitFor();
  await desktop.screenshot({ path: `${OUT}totp-enrolment.png` });
  await desktop.context().close();

  const manager = await page();
  await signIn(manager, 'manager@acme.example');
  await manager.getByText('60 vehicles').waitFor();
  await manager.waitForTimeout(800);
  await manager.screenshot({ path: `${OUT}live-map.png` });
  await manager.getByRole('button', { name: /Van 05/ }).click();
  await manager.waitForTimeout(800);
  await manager.screenshot({ path: `${OUT}live-map-selected.png` });
  await manager.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Vehicles' }).click();
  await manager.getByRole('cell', { name: 'GH-100-KL' }).waitFor();
  await manager.screenshot({ path: `${OUT}vehicles.png` });
  await manager.goto(`${fleetd.url}/vehicles/5`);
  await manager.getByText('Jeanne Martin').waitFor();
  await manager.screenshot({ path: `${OUT}vehicle.png` });
  await manager.goto(`${fleetd.url}/history?vehicle=5&from=2026-03-10&to=2026-03-10`);
  await manager.getByText(/^360 points/).waitFor();
  await manager.getByRole('slider', { name: 'Timeline' }).fill('140');
  await manager.waitForTimeout(500);
  await manager.screenshot({ path: `${OUT}history.png` });
  await manager.goto(`${fleetd.url}/admin/devices`);
  await manager.getByRole('rowheader', { name: devices[0].imei }).waitFor();
  await manager.screenshot({ path: `${OUT}admin-devices.png` });
  await manager.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
  await manager.getByRole('heading', { name: 'Your account' }).waitFor();
  await manager.getByText('This browser').waitFor();
  await manager.screenshot({ path: `${OUT}account.png` });
  await manager.route('**/api/v1/reports/summary?*', (r) => r.fulfill({ json: report('summary', summaryRows) }));
  await manager.route('**/api/v1/reports/eco?*', (r) => r.fulfill({ json: report('eco', ecoRows) }));
  await manager.route('**/api/v1/events?*', (r) => r.fulfill({ json: { items: eventRows, next: null, limit: 50 } }));
  await manager.goto(`${fleetd.url}/reports?report=summary&from=2026-03-09&to=2026-03-15`);
  await manager.getByRole('img', { name: /Distance per day/ }).waitFor();
  await manager.screenshot({ path: `${OUT}reports-summary.png` });
  await manager.goto(`${fleetd.url}/reports?report=eco&from=2026-03-09&to=2026-03-15`);
  await manager.getByRole('img', { name: /Eco score/ }).waitFor();
  await manager.screenshot({ path: `${OUT}reports-eco.png` });
  await manager.goto(`${fleetd.url}/alerts/events`);
  await manager.getByRole('button', { name: /Show Overspeed/ }).click();
  await manager.getByRole('region', { name: "Map of the event's place" }).waitFor();
  await manager.waitForTimeout(500);
  await manager.screenshot({ path: `${OUT}alerts-events.png`, fullPage: true });
  await manager.getByRole('navigation', { name: 'Alerts sections' }).getByRole('link', { name: 'Rules' }).click();
  await manager.getByRole('button', { name: 'New rule' }).click();
  await manager.screenshot({ path: `${OUT}alerts-rule.png` });
  await manager.context().close();

  const phone = await page({ locale: 'fr-FR', viewport: { width: 390, height: 780 } });
  await phone.goto(`${fleetd.url}/signin`);
  await phone.getByLabel('E-mail').fill('manager@acme.example');
  await phone.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await phone.getByRole('button', { name: 'Se connecter' }).click();
  await phone.getByText('60 véhicules').waitFor();
  await phone.waitForTimeout(800);
  await phone.screenshot({ path: `${OUT}live-map-phone-fr.png` });
  await phone.route('**/api/v1/events?*', (r) => r.fulfill({ json: { items: eventRows, next: null, limit: 50 } }));
  await phone.getByRole('button', { name: 'Menu' }).click();
  await phone.getByRole('navigation', { name: 'Principale' }).getByRole('link', { name: 'Alertes' }).click();
  await phone.locator('table.events').waitFor();
  await phone.screenshot({ path: `${OUT}alerts-phone-fr.png` });
  await phone.context().close();
  console.log(`screenshots in ${OUT}`);
} finally {
  await chrome.close();
  await fleetd.stop();
}
