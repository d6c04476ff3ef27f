// `make screenshots`: a picture of each main page in docs/screenshots/, taken in Chromium against
// the real fleetd. The live map and vehicle list show a demo fleet played by the script (the same
// answers the API documents), so the pictures do not depend on simulators or timing; the map has
// no tiles here (no network), as it would offline.
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
    name: `${names[i % 4]} ${String(i + 1).padStart(2, '0')}`,
    device_id: 350000000000000 + i,
    time: new Date(Date.now() - (i % 7 === 6 ? 3_600_000 : (i % 5) * 20_000)).toISOString(),
    lat: 48.80 + ((i * 37) % 100) / 800,
    lon: 2.25 + ((i * 53) % 100) / 500,
    speed_kmh: moving ? 30 + (i % 40) : 0,
    course: (i * 47) % 360,
    valid: true,
    attributes: { ignition: i % 3 === 1, ...(i === 10 ? { alarm: 'sos' } : {}) },
  });
}
const vehicles = fleet.slice(0, 12).map((p, i) => ({
  id: p.vehicle_id,
  name: p.name,
  plate: `GH-${100 + i}-KL`,
  vin: `VF1RFB00${String(612345670 + i)}`,
  make: i % 2 ? 'Renault' : 'Peugeot',
  model: i % 2 ? 'Master' : 'Partner',
  installation: { device_id: i + 1, imei: String(p.device_id) },
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
  await p.route('**/api/v1/vehicles?*', (r) =>
    r.fulfill({ json: { items: vehicles, total: vehicles.length, limit: 50, offset: 0 } }),
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
  await manager.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
  await manager.getByRole('heading', { name: 'Your account' }).waitFor();
  await manager.screenshot({ path: `${OUT}account.png` });
  await manager.context().close();

  const phone = await page({ locale: 'fr-FR', viewport: { width: 390, height: 780 } });
  await phone.goto(`${fleetd.url}/signin`);
  await phone.getByLabel('E-mail').fill('manager@acme.example');
  await phone.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await phone.getByRole('button', { name: 'Se connecter' }).click();
  await phone.getByText('60 véhicules').waitFor();
  await phone.waitForTimeout(800);
  await phone.screenshot({ path: `${OUT}live-map-phone-fr.png` });
  await phone.context().close();
  console.log(`screenshots in ${OUT}`);
} finally {
  await chrome.close();
  await fleetd.stop();
}
