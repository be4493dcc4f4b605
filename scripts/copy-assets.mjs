#!/usr/bin/env node
// Copies the non-TypeScript files the code reads at run time (the Redis Lua scripts) from src/ to
// dist/ (or the directory given as the first argument), at the same relative paths, so
// `new URL('./lua/x.lua', import.meta.url)` finds them in both. Run by `npm run build` after tsc,
// and by the benchmark's own build.
import { cpSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const ASSET = /\.lua$/;
const OUT = process.argv[2] ?? 'dist';

function copy(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copy(path);
    else if (ASSET.test(entry.name)) cpSync(path, join(OUT, relative('src', path)));
  }
}

copy('src');
