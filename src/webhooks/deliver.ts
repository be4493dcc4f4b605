import { PermanentError } from '../core/errors.js';
import type { RecordStore } from '../core/ports/record-store.js';
import type { HandlerContext } from '../worker/handler.js';
import { KeyedLimit } from './keyed-limit.js';
import { type PostResult, postDelivery } from './post-delivery.js';
import { type DeliveryRecord, deliveriesNs, type EndpointRecord, endpointsNs } from './records.js';
import type { ResolvedWebhookSettings } from './settings.js';
import { signDelivery } from './signature.js';
import type { SigningKeys } from './signing-keys.js';

/** What a delivery job ends with (its output). */
export interface DeliveryOutcome {
  status: DeliveryRecord['status'] | 'missing';
  statusCode?: number;
}

/** A receiver's answer that failed the attempt: the job retries it with backoff. */
export class DeliveryFailedError extends Error {
  constructor(
    message: string,
    readonly result: PostResult,
  ) {
    super(message);
    this.name = 'DeliveryFailedError';
  }
}

export interface DeliverDeps {
  records: RecordStore;
  keys: SigningKeys;
  settings: ResolvedWebhookSettings;
  now?: () => number;
  /** POST (tests count or hold calls). */
  post?: typeof postDelivery;
}

/**
 * The handler of a delivery job: one signed POST of the stored body, the attempt written to the
 * delivery record. A 2xx delivers; 410 Gone ends the delivery and disables the endpoint; any other
 * outcome fails the attempt (the job retries it with backoff) until the attempts run out or the
 * delivery is `retryForMs` old, when it is marked failed and the job fails for good.
 */
export function deliveryHandler(deps: DeliverDeps) {
  const now = deps.now ?? Date.now;
  const post = deps.post ?? postDelivery;
  const perReceiver = new KeyedLimit(deps.settings.endpointConcurrency);
  return async (ctx: HandlerContext<{ jobId: string; deliveryId: string }>): Promise<DeliveryOutcome> => {
    const { jobId, deliveryId } = ctx.job.input;
    const key = { namespace: deliveriesNs(jobId), key: deliveryId };
    const record = (await deps.records.getRecord(key)) as DeliveryRecord | undefined;
    if (record === undefined) return { status: 'missing' };
    if (record.status !== 'pending') return { status: record.status };
    const endpoint = record.endpointId === undefined ? undefined : await endpointOf(deps.records, record);
    if (record.endpointId !== undefined && (endpoint === undefined || endpoint.disabledAt !== undefined)) {
      await save(deps.records, key, { ...record, status: 'gone' }, deps.settings);
      return { status: 'gone' };
    }
    const signed = signDelivery({
      id: record.id,
      timestamp: new Date(now()),
      body: record.body,
      keys: await deps.keys.keysFor(record.tenant),
    });
    const at = now();
    const result = await perReceiver.run(new URL(record.url).origin, () =>
      post({
        url: record.url,
        headers: { ...signed },
        body: record.body,
        timeoutMs: deps.settings.timeoutMs,
        policy: deps.settings.policy,
        signal: ctx.signal,
      }),
    );
    const attempts = [...record.attempts, { at, ...result }];
    const code = result.statusCode;
    if (code !== undefined && code >= 200 && code < 300) {
      await save(deps.records, key, { ...record, attempts, status: 'delivered' }, deps.settings);
      return { status: 'delivered', statusCode: code };
    }
    if (code === 410) {
      await save(deps.records, key, { ...record, attempts, status: 'gone' }, deps.settings);
      if (endpoint !== undefined) await disable(deps.records, record, endpoint, now());
      return { status: 'gone', statusCode: code };
    }
    const why = code === undefined ? (result.error ?? 'no answer') : `the receiver answered ${code}`;
    const outOfTime = now() - record.createdAt >= deps.settings.retryForMs;
    if (ctx.job.attempts >= ctx.job.maxAttempts || outOfTime) {
      await save(deps.records, key, { ...record, attempts, status: 'failed' }, deps.settings);
      throw new PermanentError(`delivery ${record.id} failed for good: ${why}`);
    }
    await save(deps.records, key, { ...record, attempts }, deps.settings);
    throw new DeliveryFailedError(`delivery ${record.id}: ${why}`, result);
  };
}

async function endpointOf(records: RecordStore, record: DeliveryRecord): Promise<EndpointRecord | undefined> {
  return (await records.getRecord({ namespace: endpointsNs(record.tenant), key: record.endpointId! })) as
    | EndpointRecord
    | undefined;
}

function save(
  records: RecordStore,
  key: { namespace: string; key: string },
  value: DeliveryRecord,
  settings: ResolvedWebhookSettings,
): Promise<boolean> {
  return records.putRecord({ ...key, value, ttlMs: settings.keepForMs });
}

/** 410 Gone: the receiver asks for nothing more; the endpoint stays listed, disabled, until deleted. */
async function disable(records: RecordStore, record: DeliveryRecord, endpoint: EndpointRecord, at: number): Promise<void> {
  const disabled: EndpointRecord = { ...endpoint, disabledAt: at, disabledReason: `${record.url} answered 410 Gone` };
  await records.putRecord({ namespace: endpointsNs(record.tenant), key: endpoint.id, value: disabled });
}
