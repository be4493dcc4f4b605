/** Helpers for a bench child process: read its argument, report over IPC, never outlive the parent. */
export function childArgs<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('missing JSON argument');
  return JSON.parse(raw) as T;
}

export function send(message: object): void {
  process.send?.(message);
}

/** Runs `main`; reports an error as a message; exits when done or when the parent goes away. */
export function runChild(main: () => Promise<void>): void {
  process.on('disconnect', () => process.exit(0));
  main().then(
    () => {
      process.disconnect?.();
      process.exit(0);
    },
    (error: unknown) => {
      send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      setTimeout(() => process.exit(1), 100);
    },
  );
}
