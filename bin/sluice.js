#!/usr/bin/env node
// The `sluice` command. An installed package runs the compiled CLI in dist/ (built by `prepare` at
// `npm pack` and at an install from git, or by `npm run build`); a checkout that has not been built
// runs the TypeScript source through tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  process.stderr.write('sluice: dist/cli/main.js is missing: build the package with `npm run build`\n');
  process.exitCode = 1;
}
