import assert from 'node:assert/strict';
import { test } from 'node:test';
import { secretKey } from '../../../src/webhooks/signature.js';
import { SigningKeys } from '../../../src/webhooks/signing-keys.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryRecords } from '../../helpers/memory-records.js';

const ENV_SECRET = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
const OLD_ENV_SECRET = `whsec_${Buffer.alloc(24, 2).toString('base64')}`;

test('without tenants the operator’s secrets sign, every one of them; rotation happens there', async () => {
  const keys = new SigningKeys(new MemoryRecords(new FakeClock()), {
    secrets: [ENV_SECRET, OLD_ENV_SECRET],
    rotationOverlapMs: 1_000,
  });
  assert.deepEqual(await keys.keysFor(undefined), [secretKey(ENV_SECRET), secretKey(OLD_ENV_SECRET)]);
  assert.deepEqual(await keys.secretFor(undefined), { secret: ENV_SECRET, fromEnvironment: true });
  await assert.rejects(keys.rotate(undefined), /SLUICE_WEBHOOK_SECRET/);
});

test('a tenant gets one stored secret, the same from every process; rotation keeps the old one for the overlap', async () => {
  const clock = new FakeClock();
  const records = new MemoryRecords(clock);
  const settings = { secrets: [ENV_SECRET], rotationOverlapMs: 60_000 };
  const a = new SigningKeys(records, settings, () => clock.now());
  const b = new SigningKeys(records, settings, () => clock.now());
  const [first, second] = await Promise.all([a.secretFor('acme'), b.secretFor('acme')]);
  assert.equal(first.secret, second.secret);
  assert.equal(first.fromEnvironment, false);
  assert.notEqual((await a.secretFor('globex')).secret, first.secret);
  const rotated = await a.rotate('acme');
  assert.equal(rotated.previousValidUntil, clock.now() + 60_000);
  assert.deepEqual(await b.keysFor('acme'), [secretKey(rotated.secret), secretKey(first.secret)]);
  clock.advance(60_000);
  assert.deepEqual(await b.keysFor('acme'), [secretKey(rotated.secret)]);
});
