/**
 * Decides what a test file does when the service it needs (PostgreSQL, Redis, RabbitMQ) is not
 * reachable: with SLUICE_REQUIRE_SERVICES=1 (CI) it throws, so the run fails; otherwise it returns
 * a skip reason that says clearly what is missing. Returns undefined when the service answers.
 *
 *   const skip = await serviceSkipReason('PostgreSQL', url, () => probe(url));
 *   describe('postgres', { skip }, () => { … });
 */
export async function serviceSkipReason(service: string, url: string, probe: () => Promise<void>): Promise<string | undefined> {
  try {
    await probe();
    return undefined;
  } catch (error) {
    const reason = `${service} is not reachable at ${redact(url)} (${(error as Error).message})`;
    if (process.env.SLUICE_REQUIRE_SERVICES === '1') {
      throw new Error(`${reason}; SLUICE_REQUIRE_SERVICES=1 makes this a failure`);
    }
    return `${reason}: start it or set the test URL variable to run these tests`;
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
