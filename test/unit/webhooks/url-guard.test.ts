import assert from 'node:assert/strict';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, hasErrorCode } from '../../../src/core/errors.js';
import { AddressPolicy } from '../../../src/webhooks/address-policy.js';
import { checkWebhookUrl, guardedLookup, MAX_WEBHOOK_URL_LENGTH, parseWebhookUrl } from '../../../src/webhooks/url-guard.js';

const strict = new AddressPolicy();

function refusedAt(field: string) {
  return (error: unknown) => hasErrorCode(error, ErrorCodes.validation) && (error as { field?: string }).field === field;
}

describe('webhook address policy', () => {
  test('refuses every address that is not public unicast', () => {
    const refused = [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '100.100.100.200',
      '224.0.0.1',
      '255.255.255.255',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd00:ec2::254',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '2001:db8::1',
    ];
    for (const address of refused) assert.ok(strict.refusal(address), `${address} must be refused`);
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      assert.equal(strict.refusal(address), undefined, `${address} is public`);
    }
  });

  test('SLUICE_WEBHOOK_ALLOW lets named hosts, addresses and CIDRs through', () => {
    const policy = AddressPolicy.fromAllowList('127.0.0.1, 10.0.0.0/8 hooks.internal,::ffff:192.168.0.0/112');
    assert.equal(policy.refusal('127.0.0.1'), undefined);
    assert.ok(policy.refusal('127.0.0.2'));
    assert.equal(policy.refusal('10.200.1.1'), undefined);
    assert.equal(policy.refusal('::ffff:10.2.3.4'), undefined, 'a mapped address is judged as its IPv4');
    assert.equal(policy.refusal('192.168.3.4'), undefined, 'a mapped CIDR covers the IPv4 range');
    assert.ok(policy.refusal('192.169.0.1') === undefined, 'a public address stays allowed');
    assert.equal(policy.allowsHost('HOOKS.internal'), true);
    assert.equal(policy.allowsHost('other.internal'), false);
  });

  test('a malformed CIDR in the allowlist is a SLUICE_CONFIG error naming the variable', () => {
    assert.throws(
      () => AddressPolicy.fromAllowList('10.0.0.0/33'),
      (error: unknown) =>
        hasErrorCode(error, ErrorCodes.config) && (error as { field?: string }).field === 'SLUICE_WEBHOOK_ALLOW',
    );
  });
});

describe('webhook URL guard', () => {
  test('shape: http(s) only, no credentials, bounded length, naming webhook.url', () => {
    for (const bad of [
      'ftp://example.com/x',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'gopher://example.com',
      'https://user:pass@example.com/hook',
      'https://user@example.com/hook',
      'not a url',
      `https://example.com/${'a'.repeat(MAX_WEBHOOK_URL_LENGTH)}`,
    ]) {
      assert.throws(() => parseWebhookUrl(bad), refusedAt('webhook.url'), bad);
    }
    assert.equal(parseWebhookUrl('https://example.com/hook?x=1').hostname, 'example.com');
  });

  test('at submit, a host resolving to any refused address is refused; a public one passes', async () => {
    const resolve = async (host: string) =>
      ({ 'public.test': ['93.184.216.34'], 'mixed.test': ['93.184.216.34', '10.0.0.5'], 'meta.test': ['169.254.169.254'] })[
        host
      ] ?? Promise.reject(new Error('ENOTFOUND'));
    assert.equal((await checkWebhookUrl('https://public.test/h', strict, { resolve })).hostname, 'public.test');
    for (const url of [
      'https://mixed.test/h',
      'http://meta.test/latest/meta-data',
      'http://127.0.0.1:8080/h',
      'http://[::1]/h',
      'https://nowhere.test/h',
    ]) {
      await assert.rejects(checkWebhookUrl(url, strict, { resolve }), refusedAt('webhook.url'), url);
    }
    const allowed = AddressPolicy.fromAllowList('127.0.0.1');
    assert.equal((await checkWebhookUrl('http://127.0.0.1:9/h', allowed, { resolve })).port, '9');
  });
});

describe('webhook connect-time guard', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((_, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function fetchVia(policy: AddressPolicy): Promise<string> {
    return new Promise((resolve, reject) => {
      const request = get({ host: 'localhost', port, family: 4, path: '/', lookup: guardedLookup(policy) }, (response) => {
        response.resume();
        response.on('end', () => resolve(String(response.statusCode)));
      });
      request.on('error', reject);
    });
  }

  test('a host that resolves to loopback when the connection is made is refused', async () => {
    await assert.rejects(fetchVia(strict), (error: NodeJS.ErrnoException) => error.code === 'ESLUICEREFUSED');
  });

  test('the allowlist lets the same connection through', async () => {
    assert.equal(await fetchVia(AddressPolicy.fromAllowList('127.0.0.0/8')), '200');
    assert.equal(await fetchVia(AddressPolicy.fromAllowList('localhost')), '200');
  });
});
