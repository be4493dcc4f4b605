import type { RouteDoc } from './route-doc.js';

/**
 * The error answers a route gets from the layers every request passes through, decided from its
 * definition rather than listed by hand: authentication (401/403 by access), validation (400 when it
 * takes params, a query or a body), body parsing on POST (400 bad JSON, 413, 415: Fastify reads a
 * body on any POST, needed or not), and what any route may answer (500, 503 while shutting down or
 * when the backend does not answer). A route's own entry for a status wins: it says more.
 */
export function errorResponsesOf(
  route: Pick<RouteDoc, 'method' | 'access' | 'params' | 'query' | 'body'>,
): Record<number, string> {
  const takesInput = route.params !== undefined || route.query !== undefined || route.body !== undefined;
  const readsBody = route.method === 'POST';
  const responses: Record<number, string> = {};
  if (takesInput || readsBody) {
    responses[400] =
      'Invalid request: SLUICE_VALIDATION names the field at fault; SLUICE_INVALID_JSON for a body that is not JSON';
  }
  if (route.access !== 'public')
    responses[401] = 'No API key, or an unknown one (SLUICE_UNAUTHORIZED; only when the server has API keys)';
  if (route.access === 'admin') responses[403] = 'The API key is not an admin key (SLUICE_FORBIDDEN)';
  if (readsBody) {
    responses[413] = 'The body is larger than the server accepts (SLUICE_PAYLOAD_TOO_LARGE)';
    responses[415] = 'The body is not application/json (SLUICE_UNSUPPORTED_MEDIA_TYPE)';
  }
  responses[500] = 'Unexpected server error (SLUICE_INTERNAL; the details are only in the server log)';
  responses[503] =
    'The server is shutting down (SLUICE_SHUTTING_DOWN) or the backend does not answer (SLUICE_BACKEND_UNAVAILABLE)';
  return responses;
}
