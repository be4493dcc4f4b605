import type { Command } from 'commander';
import { SluiceClient } from '../client/index.js';
import { loadConfig } from '../config/config.js';

export interface ClientFlags {
  url?: string;
  apiKey?: string;
}

/** Adds --url and --api-key to a command that talks to a running server. */
export function withClientOptions(command: Command): Command {
  return command
    .option('--url <url>', 'server URL (env SLUICE_URL, default http://127.0.0.1:8080)')
    .option('--api-key <key>', 'API key (env SLUICE_API_KEY)');
}

export function clientFrom(flags: ClientFlags): SluiceClient {
  const config = loadConfig(process.env, { SLUICE_URL: flags.url, SLUICE_API_KEY: flags.apiKey });
  return new SluiceClient({ baseUrl: config.SLUICE_URL, ...(config.SLUICE_API_KEY ? { apiKey: config.SLUICE_API_KEY } : {}) });
}
