// Settings the server renders at /config.json from its configuration (web.tile_url,
// web.tile_attribution), read once at start.

export interface RuntimeConfig {
  tile_url: string; // "" when the server is configured without tiles
  tile_attribution: string;
}

const fallback: RuntimeConfig = { tile_url: '', tile_attribution: '' };
let loaded: Promise<RuntimeConfig> | null = null;

export function runtimeConfig(): Promise<RuntimeConfig> {
  loaded ??= fetch('/config.json', { credentials: 'same-origin' })
    .then((r) => (r.ok ? (r.json() as Promise<Partial<RuntimeConfig>>) : {}))
    .then((c) => ({ ...fallback, ...c }))
    .catch(() => fallback);
  return loaded;
}
