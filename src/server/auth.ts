import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ErrorCodes, SluiceError } from '../core/errors.js';

/** What an API key grants: the tenant that owns the jobs it creates, and admin rights. */
export interface ApiKey {
  tenant: string;
  /** Admin keys see every tenant's jobs and may pause and resume queues. */
  admin: boolean;
}

/** Who is calling, as the routes see it. */
export interface Caller {
  /** Owner stamped on jobs this caller creates (undefined in single-tenant mode). */
  tenant: string | undefined;
  admin: boolean;
}

/** Who may call a route: anyone, any valid key, or an admin key. */
export type Access = 'public' | 'tenant' | 'admin';

/** Single-tenant mode: no keys configured, everything open. */
const OPEN_CALLER: Caller = { tenant: undefined, admin: true };

/** The tenant a caller's reads are limited to; undefined = every tenant (admin, single-tenant). */
export function readScope(caller: Caller): string | undefined {
  return caller.admin ? undefined : caller.tenant;
}

/**
 * Checks API keys. Keys are compared as SHA-256 digests with timingSafeEqual against every
 * configured key (no early exit, no map lookup by the secret), so response time says nothing about
 * how close a guess was.
 */
export class Authenticator {
  private readonly entries: Array<{ digest: Buffer; key: ApiKey }>;
  private readonly callers = new WeakMap<FastifyRequest, Caller>();

  constructor(apiKeys: ReadonlyMap<string, ApiKey> | undefined) {
    this.entries = [...(apiKeys ?? new Map<string, ApiKey>()).entries()].map(([secret, key]) => ({
      digest: digest(secret),
      key,
    }));
  }

  /** True when keys are configured: every non-public route needs one. */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** Authenticates a request for a route with the given access; throws 401/403 errors. */
  authenticate(request: FastifyRequest, access: Access): void {
    if (!this.enabled) {
      this.callers.set(request, OPEN_CALLER);
      return;
    }
    if (access === 'public') return;
    const presented = presentedKey(request);
    if (presented === undefined)
      throw new SluiceError(ErrorCodes.unauthorized, 'missing API key: send Authorization: Bearer KEY');
    const key = this.lookup(presented);
    if (!key) throw new SluiceError(ErrorCodes.unauthorized, 'invalid API key');
    if (access === 'admin' && !key.admin) throw new SluiceError(ErrorCodes.forbidden, 'this operation needs an admin API key');
    this.callers.set(request, { tenant: key.tenant, admin: key.admin });
  }

  /** The caller of an authenticated request (the open caller when keys are off). */
  callerOf(request: FastifyRequest): Caller {
    const caller = this.callers.get(request);
    if (caller) return caller;
    // A route that forgot to authenticate must not fall back to full access.
    if (this.enabled) throw new SluiceError(ErrorCodes.unauthorized, 'missing API key: send Authorization: Bearer KEY');
    return OPEN_CALLER;
  }

  private lookup(secret: string): ApiKey | undefined {
    const candidate = digest(secret);
    let found: ApiKey | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, candidate) && found === undefined) found = entry.key;
    }
    return found;
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** `Authorization: Bearer KEY`, else `X-API-Key: KEY`. */
function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  return undefined;
}
