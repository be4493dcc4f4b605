import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { findEngineProblems } from '../../../scripts/check-engines.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const temp = makeTempDir('sluice-engines-');
after(temp.cleanup);
let fixtures = 0;

type Manifest = Record<string, unknown>;

/** A project tree: `packages` maps a path under the project ("node_modules/a",
 * "node_modules/a/node_modules/b") to that package's package.json fields. */
function project(root: Manifest, packages: Record<string, Manifest>): string {
  fixtures += 1;
  const dir = join(temp.dir, `project-${fixtures}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', engines: { node: '>=20.18' }, ...root }));
  for (const [path, manifest] of Object.entries(packages)) {
    mkdirSync(join(dir, path), { recursive: true });
    const name = path.split('node_modules/').pop();
    writeFileSync(join(dir, path, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...manifest }));
  }
  return dir;
}

const NODE_20 = 'v20.20.2';

describe('check-engines', () => {
  test('passes when every package accepts the project range or has no engines field', () => {
    const dir = project(
      { dependencies: { a: '1', '@scope/b': '1' } },
      {
        'node_modules/a': { engines: { node: '>=18' }, dependencies: { c: '1' } },
        'node_modules/@scope/b': { engines: { node: '^20.17.0 || >=22.9.0' } },
        'node_modules/c': {},
        'node_modules/.bin': {},
      },
    );
    assert.deepEqual(findEngineProblems(dir, NODE_20), []);
  });

  test('fails on a production dependency that needs node >=22, however deep', () => {
    const dir = project(
      { dependencies: { a: '1' } },
      {
        'node_modules/a': { dependencies: { cookie: '2' } },
        'node_modules/a/node_modules/cookie': { version: '2.0.0', engines: { node: '>=22' } },
      },
    );
    // Even on a Node 22 machine: users of the project may run Node 20.18.
    assert.deepEqual(findEngineProblems(dir, 'v22.11.0'), [
      {
        package: 'cookie@2.0.0 (node_modules/a/node_modules/cookie)',
        requires: '>=22',
        against: 'node 20.18.0 and v22.11.0 (engines.node >=20.18)',
        production: true,
      },
    ]);
  });

  test('optional and peer dependencies are production too; a missing optional one is skipped', () => {
    const dir = project(
      { optionalDependencies: { opt: '1', absent: '1' }, dependencies: { host: '1' } },
      {
        'node_modules/opt': { engines: { node: '>=22' } },
        'node_modules/host': { peerDependencies: { peer: '1' } },
        'node_modules/peer': { engines: { node: '>=21' } },
      },
    );
    assert.deepEqual(
      findEngineProblems(dir, NODE_20).map((p) => [p.package, p.production]),
      [
        ['opt@1.0.0 (node_modules/opt)', true],
        ['peer@1.0.0 (node_modules/peer)', true],
      ],
    );
  });

  test('a dev dependency is checked against the running Node only', () => {
    const dir = project({ devDependencies: { tool: '1' } }, { 'node_modules/tool': { engines: { node: '>=22' } } });
    assert.deepEqual(findEngineProblems(dir, 'v22.11.0'), []);
    assert.deepEqual(findEngineProblems(dir, NODE_20), [
      { package: 'tool@1.0.0 (node_modules/tool)', requires: '>=22', against: `node ${NODE_20}`, production: false },
    ]);
  });

  test('a package shared by dev and production dependencies counts as production', () => {
    const dir = project(
      { dependencies: { a: '1' }, devDependencies: { tool: '1' } },
      {
        'node_modules/a': { dependencies: { shared: '1' } },
        'node_modules/tool': { dependencies: { shared: '1' } },
        'node_modules/shared': { engines: { node: '>=20.19' } },
      },
    );
    assert.deepEqual(
      findEngineProblems(dir, NODE_20).map((p) => p.package),
      ['shared@1.0.0 (node_modules/shared)'],
    );
  });

  test('an unparseable range is a problem, not a pass', () => {
    const dir = project({ dependencies: { odd: '1' } }, { 'node_modules/odd': { engines: { node: 'node twenty' } } });
    assert.equal(findEngineProblems(dir, NODE_20).length, 1);
  });

  test('follows a symlinked node_modules (the layout of a shared install)', () => {
    const real = project({}, { 'node_modules/late': { engines: { node: '>=24' } } });
    const linked = project({ dependencies: { late: '1' } }, {});
    symlinkSync(join(real, 'node_modules'), join(linked, 'node_modules'));
    assert.deepEqual(
      findEngineProblems(linked, NODE_20).map((p) => p.package),
      ['late@1.0.0 (node_modules/late)'],
    );
  });

  test('refuses a project without an engines.node range', () => {
    const dir = project({ engines: {} }, {});
    assert.throws(() => findEngineProblems(dir, NODE_20), /no valid engines.node range/);
  });
});
