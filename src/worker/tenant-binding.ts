import type { BackendCapabilities } from '../core/backend.js';
import { ErrorCodes, SluiceError } from '../core/errors.js';

/** What a worker reads of its backend to know whether it may be bound to a tenant. */
export interface TenantClaimsDeclaration {
  readonly name?: string;
  readonly capabilities?: Pick<BackendCapabilities, 'tenantClaims'>;
}

/**
 * Refuses a worker bound to `tenant` on a backend that does not declare `capabilities.tenantClaims`:
 * that backend would ignore the tenant of a claim and hand the worker every tenant's jobs. Throws a
 * SLUICE_CONFIG error whose field is the option, `tenant`.
 */
export function requireTenantClaims(backend: TenantClaimsDeclaration, tenant: string | undefined): void {
  if (tenant === undefined || backend.capabilities?.tenantClaims === true) return;
  const which = backend.name === undefined ? 'this backend' : `backend "${backend.name}"`;
  throw new SluiceError(
    ErrorCodes.config,
    `worker option tenant: ${which} does not declare capabilities.tenantClaims, so it cannot keep a ` +
      `worker bound to tenant "${tenant}" from claiming other tenants' jobs`,
    { field: 'tenant' },
  );
}
