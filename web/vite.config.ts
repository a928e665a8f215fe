/**
 * Builds the web app: `npm run build:web` (vite build --config web/vite.config.ts) writes dist/web,
 * which the server serves at `/` (src/server/web.routes.ts). Asset names carry a content hash, so the
 * server can cache them for a year.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = new URL('.', import.meta.url).pathname;

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: new URL('../dist/web', import.meta.url).pathname,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    // `npx vite --config web/vite.config.ts` for development, against `npm start` on 8080.
    proxy: Object.fromEntries(
      ['/fhir', '/auth', '/admin', '/api', '/audit', '/health'].map((p) => [p, 'http://localhost:8080']),
    ),
  },
});
