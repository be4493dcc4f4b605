import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ErrorCodes, SluiceError } from '../core/errors.js';

const VARIABLE = 'SLUICE_PROVIDERS';

const positiveInt = z.number().int().positive();

/** One OpenAI-compatible provider, as written in SLUICE_PROVIDERS. */
export const providerConfigSchema = z
  .object({
    /** Unique name; jobs record it as `provider`. */
    name: z.string().min(1).max(100),
    /** Base URL including `/v1`, e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`. */
    baseUrl: z.url({ protocol: /^https?$/ }),
    /** API key sent as a bearer token. Prefer `apiKeyEnv`, so that the key stays out of the file. */
    apiKey: z.string().min(1).optional(),
    /** Name of an environment variable that holds the API key. */
    apiKeyEnv: z.string().min(1).optional(),
    /** Model names this provider serves (jobs ask for a model by name). */
    models: z.array(z.string().min(1)).min(1),
    /** Share of traffic under the `weighted` strategy, and tie-break under `least-outstanding`. Default 1. */
    weight: z.number().positive().default(1),
    /** Requests per minute this provider allows. */
    rpm: positiveInt.optional(),
    /** Tokens (prompt + completion) per minute this provider allows. */
    tpm: positiveInt.optional(),
    /** Requests in flight at once to this provider (all jobs of one worker process). */
    maxConcurrency: positiveInt.optional(),
    /** Per-request timeout in ms; a timeout fails over to the next provider. Default 60 s. */
    timeoutMs: positiveInt.default(60_000),
    /** Prices in dollars per million tokens, for cost accounting. */
    pricing: z.object({ inputPerMTok: z.number().nonnegative(), outputPerMTok: z.number().nonnegative() }).strict().optional(),
  })
  .strict();

export type ProviderConfigInput = z.input<typeof providerConfigSchema>;

/** A validated provider entry with defaults applied and the API key resolved. */
export interface ProviderConfig {
  name: string;
  baseUrl: string;
  apiKey?: string;
  models: string[];
  weight: number;
  rpm?: number;
  tpm?: number;
  maxConcurrency?: number;
  timeoutMs: number;
  pricing?: { inputPerMTok: number; outputPerMTok: number };
}

export interface ParseProvidersOptions {
  /** Where `apiKeyEnv` is looked up. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Reads `@path` values. Default fs.readFileSync as UTF-8. */
  readFile?: (path: string) => string;
}

/**
 * Parses SLUICE_PROVIDERS: a JSON list of providers, or `@path/to/file.json`. Throws a
 * SLUICE_CONFIG error whose message names the entry and field, e.g.
 * `SLUICE_PROVIDERS[1].baseUrl: Invalid URL`. Empty or unset gives no providers.
 */
export function parseProviders(value: string | undefined, options: ParseProvidersOptions = {}): ProviderConfig[] {
  const text = value?.trim() ?? '';
  if (text === '') return [];
  let json = text;
  if (text.startsWith('@')) {
    const path = text.slice(1);
    try {
      json = (options.readFile ?? ((file: string) => readFileSync(file, 'utf8')))(path);
    } catch (error) {
      throw configError(VARIABLE, `cannot read ${path}: ${(error as Error).message}`);
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw configError(VARIABLE, `not valid JSON: ${(error as Error).message}`);
  }
  const list = Array.isArray(raw) ? raw : (raw as { providers?: unknown } | null)?.providers;
  if (!Array.isArray(list)) throw configError(VARIABLE, 'must be a JSON array of providers (or {"providers": [...]})');

  const env = options.env ?? process.env;
  const names = new Set<string>();
  return list.map((entry, index) => {
    const result = providerConfigSchema.safeParse(entry);
    if (!result.success) {
      const issue = result.error.issues[0];
      const path = (issue?.path ?? []).map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
      throw configError(`${VARIABLE}[${index}]${path}`, issue?.message ?? 'invalid entry');
    }
    const { apiKeyEnv, ...parsed } = result.data;
    if (names.has(parsed.name)) throw configError(`${VARIABLE}[${index}].name`, `"${parsed.name}" is used by an earlier entry`);
    names.add(parsed.name);
    let apiKey = parsed.apiKey;
    if (apiKeyEnv !== undefined) {
      apiKey = env[apiKeyEnv];
      if (apiKey === undefined || apiKey === '')
        throw configError(`${VARIABLE}[${index}].apiKeyEnv`, `environment variable ${apiKeyEnv} is not set`);
    }
    const config: ProviderConfig = { ...(stripUndefined(parsed) as ProviderConfig), baseUrl: parsed.baseUrl.replace(/\/+$/, '') };
    if (apiKey !== undefined) config.apiKey = apiKey;
    return config;
  });
}

function stripUndefined(value: object): unknown {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function configError(field: string, message: string): SluiceError {
  return new SluiceError(ErrorCodes.config, `${field}: ${message}`, { field });
}
