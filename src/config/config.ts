import { ErrorCodes, SluiceError } from '../core/errors.js';
import { type Env, type EnvName, envSchema } from './env-schema.js';

export type Config = Env;

export interface ApiKeyEntry {
  tenant: string;
  admin: boolean;
}

/**
 * Reads configuration from `env` (SLUICE_* variables) with `overrides` (command-line flags, already
 * named by variable) taking precedence. Throws a SluiceError (SLUICE_CONFIG) whose field and
 * message name the offending variable.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Record<EnvName, string | undefined>> = {},
): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape) as EnvName[]) {
    const value = overrides[key] ?? env[key];
    // An empty variable counts as unset, as shells and compose files often leave them empty.
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const result = envSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue?.path[0] ?? 'configuration');
    throw new SluiceError(ErrorCodes.config, `${name}: ${issue?.message ?? 'invalid value'} (got ${JSON.stringify(raw[name])})`, {
      field: name,
    });
  }
  parseApiKeys(result.data.SLUICE_API_KEYS); // validate early, so a typo stops start-up
  return result.data;
}

/** `key=tenant,key2=tenant2,adminkey=*` → map of key → entry. */
export function parseApiKeys(spec: string): Map<string, ApiKeyEntry> {
  const keys = new Map<string, ApiKeyEntry>();
  for (const part of spec.split(',')) {
    const entry = part.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const key = eq < 0 ? '' : entry.slice(0, eq).trim();
    const tenant = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (key.length < 8 || tenant === '') {
      throw new SluiceError(
        ErrorCodes.config,
        'SLUICE_API_KEYS: each entry must be KEY=TENANT with a key of at least 8 characters',
        {
          field: 'SLUICE_API_KEYS',
        },
      );
    }
    if (keys.has(key))
      throw new SluiceError(ErrorCodes.config, 'SLUICE_API_KEYS: a key is listed twice', { field: 'SLUICE_API_KEYS' });
    keys.set(key, tenant === '*' ? { tenant: '*', admin: true } : { tenant, admin: false });
  }
  return keys;
}
