import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { listenStartupError } from '../../src/cli/startup-error.js';
import { runCli } from '../helpers/spawn-sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const temp = makeTempDir();
after(() => temp.cleanup());

/** The start-up failure is one `sluice: …` line on stderr naming the setting, no stack trace, exit 2. */
function assertTidy(result: { code: number | null; stderr: string }, setting: string, says: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', new RegExp(`^sluice: ${setting}: `));
  assert.match(lines[0] ?? '', says);
  assert.match(lines[0] ?? '', new RegExp(`\\[${setting}\\]`));
}

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

async function closedPort(): Promise<number> {
  const { server, port } = await listening();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('start-up failures: one line and exit code 2, like a bad setting', () => {
  test('serve on a port already in use', async () => {
    const { server, port } = await listening();
    try {
      const result = await runCli(['serve'], {
        SLUICE_PORT: String(port),
        SLUICE_HOST: '127.0.0.1',
        SLUICE_BACKEND: `sqlite:${join(temp.dir, 'in-use.db')}`,
      });
      assertTidy(result, 'SLUICE_PORT', new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      server.close();
    }
  });

  test('serve on a host that is not an address of this machine', async () => {
    // 192.0.2.1 is TEST-NET-1: never assigned to a local interface, so bind fails without any traffic.
    const result = await runCli(['serve'], {
      SLUICE_PORT: '0',
      SLUICE_HOST: '192.0.2.1',
      SLUICE_BACKEND: `sqlite:${join(temp.dir, 'bad-host.db')}`,
    });
    assertTidy(result, 'SLUICE_HOST', /192\.0\.2\.1 is not an address of this machine/);
  });

  test('serve on a privileged port without the privilege', {
    skip: process.getuid?.() === 0 ? 'running as root: any port may be bound' : false,
  }, async () => {
    const result = await runCli(['serve'], {
      SLUICE_PORT: '80',
      SLUICE_HOST: '127.0.0.1',
      SLUICE_BACKEND: `sqlite:${join(temp.dir, 'eacces.db')}`,
    });
    assertTidy(result, 'SLUICE_PORT', /permission denied to listen on 127\.0\.0\.1:80/);
  });

  test('a permission error from listen names the port (as the child sees EACCES)', () => {
    const eacces = Object.assign(new Error('listen EACCES: permission denied 127.0.0.1:80'), { code: 'EACCES' });
    const error = listenStartupError(eacces, '127.0.0.1', 80);
    assert.equal(error.field, 'SLUICE_PORT');
    assert.match(error.message, /permission denied to listen on 127\.0\.0\.1:80/);
    assert.equal((error as { exitCode?: number }).exitCode, 2);
  });

  test('serve with a database path under a regular file', async () => {
    const file = join(temp.dir, 'not-a-directory');
    writeFileSync(file, 'x');
    const result = await runCli(['serve'], { SLUICE_PORT: '0', SLUICE_BACKEND: `sqlite:${join(file, 'sluice.db')}` });
    assertTidy(result, 'SLUICE_BACKEND', /cannot open the backend: .*not-a-directory/);
  });

  test('worker with a PostgreSQL backend nothing listens for', async () => {
    const port = await closedPort();
    const result = await runCli(['worker'], { SLUICE_BACKEND: `postgres://postgres@127.0.0.1:${port}/postgres` });
    assertTidy(result, 'SLUICE_BACKEND', /cannot open the backend: .*ECONNREFUSED/);
    assert.match(result.stderr, /SLUICE_BACKEND_UNAVAILABLE/, 'the original code is kept');
  });

  test('serve with a Redis backend nothing listens for', async () => {
    const port = await closedPort();
    const result = await runCli(['serve'], { SLUICE_PORT: '0', SLUICE_BACKEND: `redis://127.0.0.1:${port}` });
    assertTidy(result, 'SLUICE_BACKEND', /cannot open the backend/);
  });

  test('a bad provider list after the server listens still exits (nothing left running)', async () => {
    const result = await runCli(['serve'], {
      SLUICE_PORT: '0',
      SLUICE_BACKEND: `sqlite:${join(temp.dir, 'providers.db')}`,
      SLUICE_PROVIDERS: 'not json',
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^sluice: SLUICE_PROVIDERS: .*\[SLUICE_PROVIDERS\] \(SLUICE_CONFIG\)$/m);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });
});
