// After `vite build`: writes a gzip twin (file.gz) beside every text file of dist/ that gains from
// it (fleetd sends the twin to browsers that accept gzip), then measures what a first visit costs
// in compressed JavaScript and fails the build above the budget (issue: 500 KB on first load).
//   sign-in  = the entry chunk and its static imports (what index.html loads);
//   live map = that plus the map page's chunk and its imports (where sign-in leads).
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 500 * 1000;
const dist = new URL('../dist/', import.meta.url).pathname;
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|webmanifest)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

const gzSize = new Map();
for (const path of files(dist)) {
  if (!COMPRESSIBLE.test(path) || path.includes('/.vite/')) continue;
  const body = readFileSync(path);
  const gz = gzipSync(body, { level: 9 });
  gzSize.set(relative(dist, path), gz.length);
  if (gz.length < body.length * 0.9 && body.length > 512) writeFileSync(`${path}.gz`, gz);
}

// Vite's manifest: each chunk with its static `imports` and lazy `dynamicImports`.
const manifestPath = join(dist, '.vite', 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
rmSync(join(dist, '.vite'), { recursive: true, force: true }); // not for serving

function closure(keys) {
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const i of manifest[key]?.imports ?? []) visit(i);
  };
  keys.forEach(visit);
  return [...seen].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
}

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const total = (list) => list.reduce((sum, f) => sum + (gzSize.get(f) ?? 0), 0);
const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
const mapPage = Object.keys(manifest).find((k) => k.endsWith('pages/map/LiveMap.tsx'));
if (!entry || !mapPage || !existsSync(join(dist, 'index.html'))) throw new Error('unexpected build output');
const signIn = closure([entry]);
const liveMap = closure([entry, mapPage]);
console.log(`first load, sign-in page: ${kb(total(signIn))} of gzip JavaScript (${signIn.length} files)`);
console.log(`first load, live map:     ${kb(total(liveMap))} of gzip JavaScript (${liveMap.length} files)`);
if (total(liveMap) > BUDGET_BYTES) {
  console.error(`over the budget of ${kb(BUDGET_BYTES)} of compressed JavaScript on first load`);
  process.exit(1);
}
