import { deleteRedisPrefix, dropSchema, sluicePgUrl, sluiceRedisUrl, tempDir, uniqueName } from './services.js';

/** The stores Sluice runs on by itself (no broker in front). */
export type SluiceStoreKind = 'sqlite' | 'postgres' | 'redis';

export interface SluiceStorage {
  /** The backend URL (SLUICE_BACKEND) of fresh storage. */
  url: string;
  /** Removes the storage: the temp directory, the schema, the key prefix. */
  remove(): Promise<void>;
}

/** Fresh storage of one kind, owned by the caller: a temp SQLite file, a PostgreSQL schema, a Redis key prefix. */
export function sluiceStorage(kind: SluiceStoreKind): SluiceStorage {
  if (kind === 'sqlite') {
    const tmp = tempDir();
    return { url: `sqlite:${tmp.dir}/sluice.db`, remove: async () => tmp.remove() };
  }
  if (kind === 'postgres') {
    const schema = uniqueName('bench_sluice');
    return { url: sluicePgUrl(schema), remove: () => dropSchema(schema) };
  }
  const prefix = uniqueName('bench-sluice');
  return { url: sluiceRedisUrl(prefix), remove: () => deleteRedisPrefix(prefix) };
}
