import { ConflictError } from '../core/errors.js';
import type { RecordStore } from '../core/ports/record-store.js';
import { SECRETS_NS, type SecretRecord, tenantKey } from './records.js';
import { newWebhookSecret, secretKey } from './signature.js';

export interface TenantSecret {
  secret: string;
  /** True when it is the operator's SLUICE_WEBHOOK_SECRET (rotated there, not through the API). */
  fromEnvironment: boolean;
}

/**
 * The signing secrets of each tenant. A deployment without tenants signs with SLUICE_WEBHOOK_SECRET
 * when the operator set one; every other tenant gets a secret made on first use and kept in the
 * record store, so every process signs with the same one. Rotation keeps the old secret signing
 * for an overlap, so a receiver can switch without losing a delivery.
 */
export class SigningKeys {
  constructor(
    private readonly records: RecordStore,
    private readonly settings: { secrets: readonly string[]; rotationOverlapMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** The keys that sign a delivery of `tenant`'s job now: the current secret, and the previous one during its overlap. */
  async keysFor(tenant: string | undefined): Promise<Buffer[]> {
    if (this.usesEnvironment(tenant)) return this.settings.secrets.map((secret) => secretKey(secret));
    const record = await this.stored(tenant);
    const secrets = [record.current];
    if (record.previous !== undefined && (record.previousUntil ?? 0) > this.now()) secrets.push(record.previous);
    return secrets.map((secret) => secretKey(secret, 'secret'));
  }

  /** The secret a receiver of `tenant` verifies with (made now when the tenant has none yet). */
  async secretFor(tenant: string | undefined): Promise<TenantSecret> {
    if (this.usesEnvironment(tenant)) return { secret: this.settings.secrets[0]!, fromEnvironment: true };
    return { secret: (await this.stored(tenant)).current, fromEnvironment: false };
  }

  /**
   * A new secret for `tenant`; the old one keeps signing for `overlapMs` (default the configured
   * overlap). A secret from the environment is rotated there: ConflictError.
   */
  async rotate(
    tenant: string | undefined,
    overlapMs = this.settings.rotationOverlapMs,
  ): Promise<{ secret: string; previousValidUntil: number }> {
    if (this.usesEnvironment(tenant)) {
      throw new ConflictError(
        'the signing secret comes from SLUICE_WEBHOOK_SECRET: rotate it there (new secret first, both during the overlap)',
        'secret',
      );
    }
    const old = await this.stored(tenant);
    const now = this.now();
    const record: SecretRecord = {
      current: newWebhookSecret(),
      previous: old.current,
      previousUntil: now + overlapMs,
      rotatedAt: now,
    };
    await this.records.putRecord({ namespace: SECRETS_NS, key: tenantKey(tenant), value: record });
    return { secret: record.current, previousValidUntil: record.previousUntil! };
  }

  private usesEnvironment(tenant: string | undefined): boolean {
    return tenant === undefined && this.settings.secrets.length > 0;
  }

  /** The stored secrets of `tenant`, made at first use; of racing processes one makes them, all use those. */
  private async stored(tenant: string | undefined): Promise<SecretRecord> {
    const key = { namespace: SECRETS_NS, key: tenantKey(tenant) };
    const found = (await this.records.getRecord(key)) as SecretRecord | undefined;
    if (found !== undefined) return found;
    await this.records.putRecord({ ...key, value: { current: newWebhookSecret() } satisfies SecretRecord, ifAbsent: true });
    return (await this.records.getRecord(key)) as SecretRecord;
  }
}
