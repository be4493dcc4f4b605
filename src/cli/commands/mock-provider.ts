import { Command } from 'commander';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import { type MockProviderOptions, startMockProvider } from '../../providers/mock-server.js';
import { untilSignal } from '../until-signal.js';

interface MockProviderFlags {
  port: string;
  host: string;
  latency: string;
  streamDelay: string;
  failRate: string;
  rateLimitRate: string;
  hangRate: string;
  rpm?: string;
  retryAfter: string;
  dimensions: string;
  apiKey?: string;
}

/** `sluice mock-provider`: a local OpenAI-compatible server (chat + embeddings) for tests, demos and benchmarks. */
export function mockProviderCommand(): Command {
  return new Command('mock-provider')
    .description('run a local OpenAI-compatible mock server (chat completions, embeddings) with latency and injected failures')
    .option('-p, --port <n>', 'port to listen on (0 picks a free one)', '8090')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--latency <ms>', 'delay before every answer, in ms', '0')
    .option('--stream-delay <ms>', 'delay before each token of a streamed chat answer, in ms', '0')
    .option('--fail-rate <r>', 'share of requests answered with a 500 (0..1)', '0')
    .option('--rate-limit-rate <r>', 'share of requests answered with a 429 (0..1)', '0')
    .option('--hang-rate <r>', 'share of requests never answered (0..1)', '0')
    .option('--rpm <n>', 'own limit in requests per minute; above it, 429 with Retry-After')
    .option('--retry-after <s>', 'Retry-After seconds of an injected 429', '1')
    .option('--dimensions <n>', 'length of embedding vectors', '16')
    .option('--api-key <key>', 'require this bearer token')
    .action(async (flags: MockProviderFlags) => {
      const options: MockProviderOptions = {
        port: number('--port', flags.port, 0, 65535, true),
        host: flags.host,
        latencyMs: number('--latency', flags.latency, 0, 3_600_000, true),
        streamDelayMs: number('--stream-delay', flags.streamDelay, 0, 60_000, true),
        failRate: number('--fail-rate', flags.failRate, 0, 1),
        rateLimitRate: number('--rate-limit-rate', flags.rateLimitRate, 0, 1),
        hangRate: number('--hang-rate', flags.hangRate, 0, 1),
        retryAfterSeconds: number('--retry-after', flags.retryAfter, 0, 3600, true),
        embeddingDimensions: number('--dimensions', flags.dimensions, 1, 65_536, true),
      };
      if (flags.rpm !== undefined) options.rpm = number('--rpm', flags.rpm, 1, 100_000_000, true);
      if (flags.apiKey !== undefined) options.apiKey = flags.apiKey;
      const mock = await startMockProvider(options);
      process.stdout.write(`mock provider listening on ${mock.url}\n`);
      await untilSignal();
      await mock.close();
      process.stdout.write(`served ${JSON.stringify(mock.stats)}\n`);
    });
}

function number(flag: string, value: string, min: number, max: number, integer = false): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) {
    throw new SluiceError(
      ErrorCodes.config,
      `${flag}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${value}"`,
      {
        field: flag,
      },
    );
  }
  return parsed;
}
