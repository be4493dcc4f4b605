import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { JobJson } from '../../src/core/job-json.js';
import { type AppOptions, buildApp } from '../../src/server/app.js';
import { Sluice } from '../../src/sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** An app on a real Sluice on SQLite in a temp dir; `close()` stops everything and removes the dir. */
export interface AppFixture {
  app: FastifyInstance;
  sluice: Sluice;
  close(): Promise<void>;
}

export async function startApp(options: Omit<AppOptions, 'sluice'> = {}): Promise<AppFixture> {
  const temp = makeTempDir('sluice-server-');
  const sluice = await Sluice.connect(`sqlite:${join(temp.dir, 'test.db')}`);
  const app = await buildApp({ sluice, ...options });
  return {
    app,
    sluice,
    async close() {
      await app.close();
      await sluice.close({ graceMs: 1000 });
      temp.cleanup();
    },
  };
}

/** The error body of a response, checked to have the documented shape. */
export function errorOf(response: LightMyRequestResponse): { code: string; message: string; field?: string } {
  const body = response.json() as { error?: { code: string; message: string; field?: string } };
  if (!body.error || typeof body.error.code !== 'string' || typeof body.error.message !== 'string') {
    throw new Error(`not an error body: ${response.body}`);
  }
  return body.error;
}

/** POST /v1/jobs with a JSON body; returns the response (asserting nothing). */
export async function submit(
  app: FastifyInstance,
  spec: object,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/v1/jobs', payload: spec, headers });
}

export function jobOf(response: LightMyRequestResponse): JobJson {
  return response.json() as JobJson;
}

/**
 * Resolves when the next long-poll has subscribed (the app called sluice.waitFor), with the signal it
 * was given: tests act on the job only once the poll is really waiting, without sleeping.
 */
export function nextLongPoll(sluice: Sluice): Promise<AbortSignal> {
  const original = sluice.waitFor;
  return new Promise((resolve) => {
    sluice.waitFor = function (this: Sluice, id, options = {}) {
      sluice.waitFor = original;
      const result = original.call(this, id, options);
      resolve(options.signal ?? new AbortController().signal);
      return result;
    };
  });
}
