import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Locates a worker-thread module that sits next to the module at `here` (its `import.meta.url`):
 * `<name>.ts` when running from source through tsx, `<name>.js` when compiled to dist/. Prefers the
 * caller's own extension, falls back to the other.
 */
export function siblingThreadFile(name: string, here: string): { href: string; typescript: boolean } {
  const own = here.endsWith('.ts') ? '.ts' : '.js';
  const other = own === '.ts' ? '.js' : '.ts';
  for (const ext of [own, other]) {
    const url = new URL(`./${name}${ext}`, here);
    if (existsSync(fileURLToPath(url))) return { href: url.href, typescript: ext === '.ts' };
  }
  throw new Error(`${name}.{ts,js} not found next to ${fileURLToPath(here)}`);
}

/**
 * Worker threads inherit the parent's execArgv, so under `node --import tsx` they load `.ts`
 * already. A process that registered tsx some other way would not pass it on: then load tsx in
 * the thread explicitly.
 */
export function threadExecArgv(typescript: boolean): string[] {
  const inherited = process.execArgv;
  if (!typescript || inherited.some((arg) => arg.includes('tsx'))) return inherited;
  return [...inherited, '--import', import.meta.resolve('tsx')];
}
