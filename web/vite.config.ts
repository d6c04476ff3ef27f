// Vite builds the application into dist/, which fleetd serves at / (see docs/web.md).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` serves the sources with hot reload and forwards the API to a fleetd on loopback.
const fleetd = process.env.FLEETD_URL ?? 'http://127.0.0.1:8082';

export default defineConfig({
  plugins: [react()],
  build: {
    target: 'es2022',
    // No data: URLs: the CSP's img-src allows only this origin and the tile server.
    assetsInlineLimit: 0,
    // Read by scripts/compress.mjs to measure what the first load costs, then deleted.
    manifest: true,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: fleetd, ws: true },
      '/config.json': fleetd,
    },
  },
});
