import type { BackendSetup } from '../backends.js';
import { type Fault, pause } from '../fault.js';

type Role = 'store' | 'broker';
const applies = (role: Role) => (backend: BackendSetup) => backend.proxies[role] !== undefined;

/** Connection resets: every open connection to the service is reset (RST) every 500 ms, and for
 * 1 s new connections are refused too; then the network is healthy again. */
export function connectionResets(role: Role): Fault {
  return {
    name: `${role} connection resets`,
    describe: `reset every connection to the ${role} five times, 500 ms apart, then refuse new ones for 1 s`,
    appliesTo: applies(role),
    async inject(run) {
      const proxy = run.backend.proxies[role]!;
      await pause(300);
      for (let i = 0; i < 5; i++) {
        proxy.resetAll();
        await pause(500);
      }
      proxy.refuse(true);
      proxy.resetAll();
      await pause(1000);
      proxy.refuse(false);
      await run.submitted;
    },
  };
}

/** A partition: bytes to and from the service are held for 4 s (longer than a lease), then
 * delivered in order, as a stalled network that recovers would. */
export function partition(role: Role): Fault {
  return {
    name: `${role} partition`,
    describe: `hold every byte to and from the ${role} for 4 s (past a lease), then deliver them`,
    appliesTo: applies(role),
    async inject(run) {
      const proxy = run.backend.proxies[role]!;
      await pause(300);
      proxy.setMode('hold');
      await pause(4000);
      proxy.setMode('pass');
      await run.submitted;
    },
  };
}

/** A silent drop: bytes both ways are thrown away for 4 s, connections stay open (no RST, no FIN);
 * a connection that lost a request waits for an answer that never comes, unless Sluice times it out. */
export function silentDrop(role: Role): Fault {
  return {
    name: `${role} silent drop`,
    describe: `throw away every byte to and from the ${role} for 4 s without closing a connection`,
    appliesTo: applies(role),
    async inject(run) {
      const proxy = run.backend.proxies[role]!;
      await pause(300);
      proxy.setMode('drop');
      await pause(4000);
      proxy.setMode('pass');
      await run.submitted;
    },
  };
}
