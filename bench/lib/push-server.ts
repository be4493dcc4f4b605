import { Child } from './spawn-child.js';

export interface PushServerArgs {
  /** SLUICE_BACKEND of storage the parent made (and removes). */
  backend: string;
  queue: string;
  concurrency: number;
  prefetch: number;
  /** SLUICE_MAX_CONNECTIONS: the default (1,000) counts every socket, SSE streams too. */
  maxConnections?: number;
}

/** The job type the push server's worker runs. */
export const STAMP_TYPE = 'stamp';

/** What a `stamp` job puts out: when its handler finished (epochNow), and its input's warm-up flag. */
export interface StampOutput {
  doneAt: number;
  warm?: boolean;
}

export interface ServerMemory {
  rss: number;
  heapUsed: number;
}

export interface PushServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The server process's RSS and heap, after a full GC when it was started with `exposeGc`. */
  memory(): Promise<ServerMemory>;
  stop(): Promise<void>;
}

/** Starts bench/child/push-server.ts and resolves once it listens and its worker runs. */
export async function startPushServer(args: PushServerArgs, options: { exposeGc?: boolean } = {}): Promise<PushServer> {
  const child = new Child('push-server.ts', args, options.exposeGc ? ['--expose-gc'] : []);
  try {
    const { url } = await child.next<{ type: string; url: string }>('ready', 60_000);
    return {
      url,
      async memory() {
        child.send({ type: 'memory' });
        const { rss, heapUsed } = await child.next<{ type: string } & ServerMemory>('memory', 30_000);
        return { rss, heapUsed };
      },
      stop: () => child.dispose(),
    };
  } catch (error) {
    await child.dispose();
    throw error;
  }
}
