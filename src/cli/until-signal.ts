/**
 * Resolves on the first SIGTERM or SIGINT. A second signal while shutting down exits at once, the
 * escape hatch an operator expects from Ctrl-C twice.
 */
export function untilSignal(onSecond: () => void = () => process.exit(130)): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals) => {
      if (received) return onSecond();
      received = true;
      resolve(signal);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}
