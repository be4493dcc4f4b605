import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { type AppFixture, startApp } from './app-fixture.js';

/**
 * The contract works with tools no one here wrote: openapi-typescript generates types from the
 * document a listening server serves, a client written against them with openapi-fetch
 * (openapi-client-usage.ts.txt) must typecheck with the project's compiler settings, and it then
 * drives that server over HTTP, authenticating as the document's security scheme says.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const USAGE = join(import.meta.dirname, 'openapi-client-usage.ts.txt');
const KEY = 'typed-client-key';

interface Outcome {
  submitted: { status: number; body?: { id: string; status: string; priority: number } };
  fetched: { status: number; body?: { id: string; input: unknown } };
  listedIds: string[];
  rejected: { status: number; body?: { error: { code: string; field?: string } } };
  refused: { status: number; body?: { error: { code: string } } };
}

interface ApiKeyScheme {
  type: string;
  in: string;
  name: string;
}

/** A client project: the generated types and the usage file, inside the repository so that
 * `openapi-fetch` resolves from its node_modules. */
function writeClientProject(dir: string, types: string): string {
  writeFileSync(join(dir, 'api.d.ts'), types);
  const usage = join(dir, 'usage.ts');
  copyFileSync(USAGE, usage);
  return usage;
}

let previousProgram: ts.Program | undefined;

/** The compiler's diagnostics for a file, checked with the repository's tsconfig options. */
function typeErrors(file: string): string[] {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  // The previous program lends its parsed lib and node_modules files: the second check is cheaper.
  const program = ts.createProgram({
    rootNames: [file],
    options: { ...options, noEmit: true },
    ...(previousProgram ? { oldProgram: previousProgram } : {}),
  });
  previousProgram = program;
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return `${d.file?.fileName ?? ''}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('a client generated from /openapi.json by openapi-typescript, with openapi-fetch', () => {
  let fx: AppFixture;
  let baseUrl: string;
  let workDir: string;
  let document: { components: { schemas: Record<string, unknown>; securitySchemes: Record<string, ApiKeyScheme> } };
  before(async () => {
    fx = await startApp({ apiKeys: new Map([[KEY, { tenant: 'typed', admin: false }]]) });
    baseUrl = await fx.app.listen({ host: '127.0.0.1', port: 0 });
    document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as typeof document;
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    workDir = mkdtempSync(join(ROOT, '.tmp', 'openapi-client-'));
  });
  after(async () => {
    rmSync(workDir, { recursive: true, force: true });
    await fx.close();
  });

  test('typechecks against the served document and drives the server', async () => {
    const types = astToString(await openapiTS(new URL(`${baseUrl}/openapi.json`)));
    const usage = writeClientProject(workDir, types);
    assert.deepEqual(typeErrors(usage), []);

    const scheme = document.components.securitySchemes.apiKeyAuth;
    assert.ok(scheme && scheme.type === 'apiKey' && scheme.in === 'header', 'the document declares an API key header');
    const { drive } = (await import(pathToFileURL(usage).href)) as { drive: (url: string, auth: object) => Promise<Outcome> };
    const outcome = await drive(baseUrl, { [scheme.name]: KEY });

    assert.equal(outcome.submitted.status, 202);
    const id = outcome.submitted.body?.id ?? '';
    assert.equal(outcome.submitted.body?.priority, 5);
    assert.equal((await fx.sluice.get(id))?.tenant, 'typed', 'the job belongs to the tenant of the key');
    assert.equal(outcome.fetched.status, 200);
    assert.deepEqual(outcome.fetched.body?.input, { text: 'hello' });
    assert.deepEqual(outcome.listedIds, [id]);
    assert.equal(outcome.rejected.status, 400);
    assert.equal(outcome.rejected.body?.error.code, 'SLUICE_VALIDATION');
    assert.equal(outcome.rejected.body?.error.field, 'priority');
    assert.equal(outcome.refused.status, 401);
    assert.equal(outcome.refused.body?.error.code, 'SLUICE_UNAUTHORIZED');
  });

  test('a document whose Job schema says nothing fails the typecheck', async () => {
    const broken = structuredClone(document);
    broken.components.schemas.Job = {};
    const dir = mkdtempSync(join(workDir, 'broken-'));
    const usage = writeClientProject(dir, astToString(await openapiTS(broken as never)));
    const errors = typeErrors(usage);
    assert.ok(
      errors.some((e) => e.includes('usage.ts:') && e.includes("Property 'id' does not exist on type '{}'")),
      errors.join('\n'),
    );
  });
});
