/**
 * Builds the web app: `npm run build:web` (vite build --config web/vite.config.ts) writes dist/web,
 * which the server serves at `/` (src/server/web.routes.ts). Asset names carry a content hash, so the
 * server can cache them for a year.
 *
 * Pages and charts load on first use (React.lazy: app.tsx, lazy-page.tsx), so the sign-in page
 * downloads React, Mantine, TanStack Query and the app's frame only. Those libraries are one chunk
 * each: they change less often than the app, so a new build leaves them cached. The chart library
 * (recharts and its d3 and redux dependencies) is left to the automatic splitting, which puts it in
 * a chunk of its own that only the two chart drawings import. Every file of 1 KB or more is also
 * written brotli- and gzip-compressed (`.br`, `.gz`), which the server sends to browsers that accept
 * them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const root = new URL('.', import.meta.url).pathname;
const outDir = new URL('../dist/web', import.meta.url).pathname;

/** Writes `<file>.br` and `<file>.gz` beside each emitted script, style sheet and page of 1 KB or more. */
function precompress(): Plugin {
  return {
    name: 'careloop-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      const dir = options.dir ?? outDir;
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg|json)$/.test(name)) continue;
        const path = join(dir, name);
        const content = readFileSync(path);
        // Below 1 KB the headers outweigh the saving.
        if (content.length < 1024) continue;
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(content, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
              [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
            },
          }),
        );
        writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }));
      }
    },
  };
}

/** A chunk per library that every screen needs; `test` matches the module's path in node_modules. */
const vendorChunks = [
  // With React's own shim of useSyncExternalStore (wouter and recharts' redux use it): left to the
  // automatic split it sat in the app's chunk, and the chart chunk's name changed with every build.
  { name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|scheduler|use-sync-external-store)[\\/]/ },
  {
    name: 'mantine',
    // Mantine and what it brings: floating UI for popovers, scroll locking for modals, clsx.
    test: /[\\/]node_modules[\\/](@mantine[\\/]|@floating-ui[\\/]|react-remove-scroll|react-style-singleton|use-callback-ref|use-sidecar|get-nonce|detect-node-es|tslib|clsx|tabbable)/,
  },
  { name: 'query', test: /[\\/]node_modules[\\/]@tanstack[\\/]/ },
];

export default defineConfig({
  root,
  base: '/',
  plugins: [react(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    rolldownOptions: {
      output: { codeSplitting: { groups: vendorChunks } },
    },
  },
  server: {
    // `npx vite --config web/vite.config.ts` for development, against `npm start` on 8080.
    proxy: Object.fromEntries(
      ['/fhir', '/auth', '/admin', '/api', '/audit', '/health'].map((p) => [p, 'http://localhost:8080']),
    ),
  },
});
