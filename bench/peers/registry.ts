import type { QueueTarget } from '../lib/target.js';
import { BullmqTarget } from './bullmq.js';
import { GraphileTarget } from './graphile.js';
import { PgBossTarget } from './pg-boss.js';
import { RawAmqpTarget } from './raw-amqp.js';
import { RawNatsTarget } from './raw-nats.js';
import { RawSqliteTarget } from './raw-sqlite.js';
import { SluiceTarget } from './sluice.js';

export const TARGET_NAMES = [
  'sluice-sqlite',
  'sluice-postgres',
  'sluice-redis',
  'sluice-rabbitmq',
  'sluice-nats',
  'raw-sqlite',
  'bullmq',
  'pg-boss',
  'graphile-worker',
  'raw-amqp',
  'raw-nats',
] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** A fresh target; with `existing` (its `address`), one attached to storage another process owns. */
export function makeTarget(name: TargetName, existing?: string): QueueTarget {
  switch (name) {
    case 'sluice-sqlite':
      return new SluiceTarget('sqlite', existing);
    case 'sluice-postgres':
      return new SluiceTarget('postgres', existing);
    case 'sluice-redis':
      return new SluiceTarget('redis', existing);
    case 'sluice-rabbitmq':
      return new SluiceTarget('rabbitmq', existing);
    case 'sluice-nats':
      return new SluiceTarget('nats', existing);
    case 'raw-sqlite':
      return new RawSqliteTarget(existing);
    case 'bullmq':
      return new BullmqTarget(existing);
    case 'pg-boss':
      return new PgBossTarget(existing);
    case 'graphile-worker':
      if (existing) throw new Error('graphile-worker cannot attach to another process storage in this bench');
      return new GraphileTarget();
    case 'raw-amqp':
      return new RawAmqpTarget(existing);
    case 'raw-nats':
      return new RawNatsTarget(existing);
  }
}

export function isTargetName(name: string): name is TargetName {
  return (TARGET_NAMES as readonly string[]).includes(name);
}
