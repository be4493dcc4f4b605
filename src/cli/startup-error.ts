import { ErrorCodes, isSluiceError, SluiceError } from '../core/errors.js';

/**
 * A failure before a long-running command (serve, worker) could do its work: the setting that did
 * not work, a one-line message, and exit code 2 like any other bad setting. It keeps the code of a
 * Sluice error it wraps (SLUICE_BACKEND_UNAVAILABLE stays that) and is SLUICE_CONFIG otherwise.
 */
export class StartupError extends SluiceError {
  readonly exitCode = 2;

  constructor(code: string, message: string, field: string | undefined, cause: unknown) {
    super(code, message, { field, cause });
    this.name = 'StartupError';
  }
}

/** True for a start-up failure or a bad setting: both exit 2. */
export function exitsAsBadSetting(error: SluiceError): boolean {
  return error.code === ErrorCodes.config || (error as { exitCode?: unknown }).exitCode === 2;
}

/** The backend named by SLUICE_BACKEND could not be opened (unreachable, bad path, bad schema). */
export function backendStartupError(error: unknown): SluiceError {
  if (isSluiceError(error) && error.code === ErrorCodes.config) return error; // names its own variable already
  const code = isSluiceError(error) ? error.code : ErrorCodes.config;
  const field = isSluiceError(error) && error.field !== undefined ? error.field : 'SLUICE_BACKEND';
  return new StartupError(code, `${field}: cannot open the backend: ${messageOf(error)}`, field, error);
}

/** Listening on SLUICE_HOST:SLUICE_PORT failed: says why in words and names the setting to change. */
export function listenStartupError(error: unknown, host: string, port: number): SluiceError {
  const where = `${host}:${port}`;
  switch ((error as { code?: unknown }).code) {
    case 'EADDRINUSE':
      return startup('SLUICE_PORT', `port ${port} on ${host} is already in use; choose another port`, error);
    case 'EACCES':
      return startup('SLUICE_PORT', `permission denied to listen on ${where} (ports below 1024 need privileges)`, error);
    case 'EADDRNOTAVAIL':
      return startup('SLUICE_HOST', `${host} is not an address of this machine`, error);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return startup('SLUICE_HOST', `cannot resolve host ${host}`, error);
    default:
      return startup('SLUICE_PORT', `cannot listen on ${where}: ${messageOf(error)}`, error);
  }
}

/**
 * The worker refused its options (a SLUICE_CONFIG error naming a worker option): the message names
 * the variable that set it instead, as for any other bad setting.
 */
export function workerStartupError(error: unknown, variableOf: Readonly<Record<string, string>>): unknown {
  if (!isSluiceError(error) || error.code !== ErrorCodes.config || error.field === undefined) return error;
  const variable = variableOf[error.field];
  if (variable === undefined) return error;
  return startup(variable, error.message, error);
}

function startup(field: string, message: string, cause: unknown): StartupError {
  return new StartupError(ErrorCodes.config, `${field}: ${message}`, field, cause);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * For a `.catch` during start-up: closes what was already opened (a listening server, a backend
 * pool), so the process can exit, then rethrows the original error.
 */
export function closingOnFailure(...opened: Array<{ close(): unknown }>): (error: unknown) => Promise<never> {
  return async (error) => {
    for (const resource of opened) await Promise.resolve(resource.close()).catch(() => undefined);
    throw error;
  };
}
