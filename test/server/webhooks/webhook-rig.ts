import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Backend } from '../../../src/core/backend.js';
import { systemClock } from '../../../src/core/clock.js';
import { buildApp } from '../../../src/server/app.js';
import type { ApiKey } from '../../../src/server/auth.js';
import { Sluice } from '../../../src/sluice.js';
import { AddressPolicy } from '../../../src/webhooks/address-policy.js';
import type { WebhookSettings } from '../../../src/webhooks/settings.js';
import type { Worker } from '../../../src/worker/worker.js';
import { MemoryBackend } from '../../helpers/memory-backend.js';

/** A test signing secret (whsec_ + 32 bytes). */
export const TEST_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

export interface WebhookRig {
  app: FastifyInstance;
  sluice: Sluice;
  backend: Backend;
  worker: Worker;
  /** An inject call with the key of `tenant` (when the rig has keys). */
  call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, tenant?: string): Promise<LightMyRequestResponse>;
  /** Stops the API and the Sluice (idempotent). */
  close(): Promise<void>;
}

export interface WebhookRigOptions {
  /** Tenants with API keys `key-<tenant>`; none: single-tenant mode. */
  tenants?: string[];
  settings?: WebhookSettings;
  /** The backend to run on; by default another process's view that close() leaves open (see ownsBackend). */
  backend?: Backend;
  /** close() closes `backend` too: a handle opened for this rig alone. */
  ownsBackend?: boolean;
  /** false: the Sluice takes webhooks and runs jobs but dispatches and delivers nothing (no maintenance). */
  delivering?: boolean;
}

/**
 * An API and a worker (handlers `echo`, which returns its input, and `boom`, which always fails)
 * on one Sluice with webhooks to 127.0.0.1 allowed, fast retries and a quick dispatcher.
 */
export async function startWebhookRig(options: WebhookRigOptions = {}): Promise<WebhookRig> {
  // A shared backend (a second "process") is closed by its first owner only.
  const backend =
    options.backend === undefined
      ? new MemoryBackend({ clock: systemClock })
      : options.ownsBackend === true
        ? options.backend
        : unclosable(options.backend);
  const sluice = Sluice.fromBackend(backend, {
    maintenance: options.delivering === false ? false : { reaper: false, retention: false },
    webhooks: {
      policy: AddressPolicy.fromAllowList('127.0.0.1'),
      retryDelayMs: 20,
      pollIntervalMs: 20,
      ...(options.tenants === undefined ? { secrets: [TEST_SECRET] } : {}),
      ...options.settings,
    },
  });
  const apiKeys = new Map<string, ApiKey>(
    (options.tenants ?? []).map((tenant) => [`key-${tenant}-0123456789`, { tenant, admin: false }]),
  );
  const app = await buildApp({ sluice, apiKeys: apiKeys.size > 0 ? apiKeys : undefined, allowedTypes: undefined });
  const worker = sluice.worker({
    handlers: {
      echo: (ctx) => ctx.job.input,
      boom: () => {
        throw new Error('boom');
      },
    },
    pollIntervalMs: 20,
  });
  await worker.start();
  let closing: Promise<void> | undefined;
  return {
    app,
    sluice,
    backend,
    worker,
    call: (method, url, body, tenant) =>
      app.inject({
        method,
        url,
        ...(body === undefined ? {} : { payload: body as object }),
        headers: tenant === undefined ? {} : { authorization: `Bearer key-${tenant}-0123456789` },
      }),
    close() {
      closing ??= app.close().then(() => sluice.close({ graceMs: 1_000 }));
      return closing;
    },
  };
}

/** `backend` with a close() that does nothing: a second Sluice on it must not close it for the first. */
export function unclosable(backend: Backend): Backend {
  return new Proxy(backend, {
    get(target, property) {
      if (property === 'close') return async () => {};
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
