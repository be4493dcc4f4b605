import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** Probes that load balancers and scrapers call every few seconds: logged at `debug` only. */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One log line per request when its response has been sent (method, url, status, duration), in
 * place of Fastify's two (incoming, completed); health and metrics probes only at `debug`, so a
 * minute of health checks does not bury the requests that matter.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const details = {
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    // An error here is one of sending the response (the socket broke), not of the request.
    if (error) reply.log.error({ ...details, err: error }, 'request errored');
    else if (PROBE_PATHS.has(request.url.split('?', 1)[0] ?? request.url)) reply.log.debug(details, 'request');
    else reply.log.info(details, 'request');
  }
}
