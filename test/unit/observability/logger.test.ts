import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { captureLogs } from '../../helpers/log-capture.js';

describe('createLogger', () => {
  test('json: one JSON record per line, with the level and the name', () => {
    const { logger, lines } = captureLogs('info', 'json');
    logger.info({ jobId: 'j1' }, 'job started');
    logger.debug('below the level');
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual([record.level, record.name, record.msg, record.jobId], [30, 'sluice', 'job started', 'j1']);
  });

  test('pretty: a readable line with the level word and message, written before the call returns', () => {
    const { logger, lines } = captureLogs('info', 'pretty');
    logger.warn({ jobId: 'j2' }, 'job failed');
    assert.ok(lines.length >= 1, 'written synchronously');
    const text = lines.join('\n');
    assert.throws(() => JSON.parse(lines[0]!), 'not JSON');
    // Colours depend on the terminal; strip them before matching.
    const plain = stripVTControlCharacters(text);
    assert.match(plain, /WARN.*\(sluice\/\d+\).*: job failed/);
    assert.match(plain, /jobId: "j2"/);
  });
});
