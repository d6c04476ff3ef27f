// `make screenshots`: a picture of each main page in docs/screenshots/, taken in Chromium against
// the real fleetd. The live map, vehicles, vehicle page, history and devices show a demo fleet played
// by the script (the answers the API documents), so the pictures do not depend on simulators or
// timing; the map has no tiles here (no network), as it would offline.
import { mkdirSync } from 'node:fs';
import { browser, enrolledClient, Fleetd, newPage, PASSWORD, signInPage } from './harness.mjs';

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

// Operations: geofences around Paris, maintenance plans and their due state, a service log, the
// processing settings.
const square = (lon, lat, d) => [[[lon, lat], [lon + d, lat], [lon + d, lat + d * 0.66], [lon, lat + d * 0.66], [lon, lat]]];
const geofences = [
  { id: 1, name: 'Depot Gennevilliers', description: '', kind: 'polygon', geometry: { type: 'Polygon', coordinates: square(2.28, 48.92, 0.03) }, radius_m: null, speed_limit_kmh: 20 },
  { id: 2, name: 'Client — Rungis market', description: '', kind: 'polygon', geometry: { type: 'Polygon', coordinates: [[[2.34, 48.74], [2.38, 48.745], [2.375, 48.765], [2.345, 48.762], [2.34, 48.74]]] }, radius_m: null, speed_limit_kmh: null },
  { id: 3, name: 'Orly airport', description: '', kind: 'circle', geometry: { type: 'Point', coordinates: [2.379, 48.726] }, radius_m: 1800, speed_limit_kmh: 50 },
  { id: 4, name: 'City centre', description: '', kind: 'circle', geometry: { type: 'Point', coordinates: [2.3488, 48.8534] }, radius_m: 2500, speed_limit_kmh: 30 },
].map((g) => ({ ...g, created_at: since, updated_at: since }));
const due = (plan_id, vehicle, name, status, extra) => ({
  plan_id, vehicle_id: vehicle.id, vehicle_name: vehicle.name, name, status, odometer_m: null, due_odometer_m: null,
  remaining_km: null, engine_h: null, due_engine_h: null, remaining_engine_h: null, due_date: null, remaining_days: null, ...extra,
});
const dueRows = [
  due(1, vehicles[2], 'Oil change', 'overdue', { odometer_m: 61_200_000, due_odometer_m: 60_000_000, remaining_km: -1200 }),
  due(2, vehicles[4], 'Technical inspection', 'due_soon', { due_date: '2026-12-12', remaining_days: 16 }),
  due(3, vehicles[0], 'Oil change', 'due_soon', { odometer_m: 59_400_000, due_odometer_m: 60_000_000, remaining_km: 600 }),
  due(4, vehicles[1], 'Insurance renewal', 'ok', { due_date: '2027-05-13', remaining_days: 168 }),
];
const plans = dueRows.map((r) => ({
  id: r.plan_id, vehicle_id: r.vehicle_id, name: r.name, interval_km: r.remaining_km === null ? null : 30000, interval_engine_h: null,
  interval_months: r.remaining_km === null ? 12 : 12, due_date: null, warn_km: 1000, warn_engine_h: 25, warn_days: 30,
  last_done_date: '2025-12-01', last_done_odometer_m: 30_000_000, last_done_engine_h: null, created_at: since, archived_at: null,
}));
const services = [
  { id: 1, vehicle_id: vehicles[0].id, plan_id: 3, date: '2025-12-01', odometer_m: 30_012_000, engine_h: null, cost_cents: 18990, currency: 'EUR', note: 'Oil and filters', created_at: since },
  { id: 2, vehicle_id: vehicles[4].id, plan_id: 2, date: '2025-12-10', odometer_m: 41_800_000, engine_h: null, cost_cents: 7800, currency: 'EUR', note: 'Passed', created_at: since },
];
const settings = {
  min_trip_distance_m: 200, min_trip_duration_s: 60, min_stop_duration_s: 180, moving_speed_kmh: 3, idle_event_s: 300,
  default_speed_limit_kmh: 90, overspeed_min_duration_s: 10, max_speed_kmh: 300, harsh_acceleration_mps2: 3, harsh_braking_mps2: 3.5,
  gps_lost_s: 600, low_battery_v: 11.8, refuel_min_l: 10, fuel_drop_min_l: 8, tank_l: 80, eco_weight_harsh: 1, eco_weight_speeding: 1,
  eco_weight_idle: 0.5, offline_after_s: 900,
};
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
  await p.route('**/api/v1/geofences?*', (r) => r.fulfill({ json: page1(geofences) }));
  await p.route('**/api/v1/reports/maintenance?*', (r) => r.fulfill({ json: { report: 'maintenance', time_zone: 'Europe/Paris', date: '2026-11-26', ...page1(dueRows) } }));
  await p.route('**/api/v1/maintenance/plans?*', (r) => r.fulfill({ json: page1(plans) }));
  await p.route('**/api/v1/maintenance/services?*', (r) => r.fulfill({ json: page1(services) }));
  await p.route('**/api/v1/vehicles/5/odometer', (r) => r.fulfill({ json: { odometer_km: 52_938.3, engine_hours: 1_204.5, set_at: '2025-12-10T09:12:00Z' } }));
  await p.route('**/api/v1/vehicles/5/assignments*', (r) =>
    r.fulfill({ json: page1([{ id: 1, vehicle_id: 5, driver_id: 1, driver_name: 'Jeanne Martin', from: '2026-11-02T07:00:00Z', to: null, created_at: since }]) }),
  );
  await p.route('**/api/v1/settings/processing', (r) => r.fulfill({ json: settings }));
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
  await manager.getByText('Jeanne Martin').first().waitFor();
  await manager.screenshot({ path: `${OUT}vehicle.png` });
  await manager.goto(`${fleetd.url}/history?vehicle=5&from=2026-03-10&to=2026-03-10`);
  await manager.getByText(/^360 points/).waitFor();
  await manager.getByRole('slider', { name: 'Timeline' }).fill('140');
  await manager.waitForTimeout(500);
  await manager.screenshot({ path: `${OUT}history.png` });
  await manager.goto(`${fleetd.url}/admin/devices`);
  await manager.getByRole('rowheader', { name: devices[0].imei }).waitFor();
  await manager.screenshot({ path: `${OUT}admin-devices.png` });
  await manager.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Geofences' }).click();
  await manager.locator('path.geofence-shape').nth(3).waitFor();
  await manager.waitForTimeout(500);
  await manager.screenshot({ path: `${OUT}geofences.png` });
  await manager.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Maintenance' }).click();
  await manager.getByRole('cell', { name: 'Oil and filters' }).waitFor();
  await manager.screenshot({ path: `${OUT}maintenance.png` });
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

  const { secret } = await enrolledClient(fleetd, 'admin@acme.example');
  const admin = await page();
  await signInPage(admin, fleetd.url, 'admin@acme.example', { secret });
  await admin.goto(`${fleetd.url}/admin/settings`);
  await admin.getByLabel('Shortest trip').waitFor();
  await admin.screenshot({ path: `${OUT}processing-settings.png` });
  await admin.context().close();

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
