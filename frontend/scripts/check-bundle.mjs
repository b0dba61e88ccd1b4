#!/usr/bin/env node
/**
 * The first-load budget: what a browser must download before the app runs (the entry script, the chunks
 * index.html preloads, its stylesheets) stays under LIMIT_KB gzipped. Charts and the code editor are lazy
 * chunks and do not count. Runs after `vite build` (npm run build), so a change that pulls a heavy library
 * into the first load fails the build, with the figure printed.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const LIMIT_KB = Number(process.env.FIRST_LOAD_LIMIT_KB ?? 400);
const DIST = resolve(dirname(fileURLToPath(import.meta.url)), "..", "dist");

const html = readFileSync(join(DIST, "index.html"), "utf8");
const refs = [
  ...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g),
  ...html.matchAll(/<link[^>]*rel="(?:modulepreload|stylesheet)"[^>]*href="([^"]+)"/g),
].map((m) => m[1]);
const gz = (file) => gzipSync(readFileSync(join(DIST, file.replace(/^\//, "")))).length;

const first = [...new Set(refs)].map((f) => ({ file: f, bytes: gz(f) }));
const total = first.reduce((n, f) => n + f.bytes, 0);
const firstNames = new Set(first.map((f) => f.file.replace(/^\//, "")));
const lazy = readdirSync(join(DIST, "assets"))
  .map((f) => `assets/${f}`)
  .filter((f) => !firstNames.has(f) && /\.(js|css)$/.test(f))
  .map((f) => ({ file: f, bytes: gz(f) }));

const kb = (b) => (b / 1024).toFixed(1);
for (const f of first) console.log(`first load  ${kb(f.bytes).padStart(7)} kB  ${f.file}`);
for (const f of lazy) console.log(`lazy        ${kb(f.bytes).padStart(7)} kB  ${f.file}`);
console.log(`first-load bundle: ${kb(total)} kB gzipped (limit ${LIMIT_KB} kB)`);
if (total > LIMIT_KB * 1024) {
  console.error(`FAIL: the first load is ${kb(total)} kB gzipped, over the ${LIMIT_KB} kB budget: lazy-load the heavy part.`);
  process.exit(1);
}
