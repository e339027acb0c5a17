// Free TCP ports on 127.0.0.1 for the processes this project starts beside others (test apps, daprd).
// A port is picked below the kernel's ephemeral range (ip_local_port_range), because an outgoing connection
// of any process may take a port inside that range between the pick and the bind: seen with daprd, which
// picked its internal gRPC port itself and bound it 10 s later on a busy machine, by then in use.
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The first port of the ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range), else IANA's 49152. */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 2048 ? first : 49152;
  } catch {
    return 49152;
  }
}

const START = ephemeralStart();
/** Ports are drawn from [LOW, START): below the ephemeral range, above the well-known and registered ones we use. */
const LOW = Math.max(1024, START - 12_000);

function bindable(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

/** One port free on 127.0.0.1 now, outside the ephemeral range when one can be found there (50 tries). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await bindable(LOW + Math.floor(Math.random() * (START - LOW)));
    if (port !== null) return port;
  }
  const any = await bindable(0);
  if (any === null) throw new Error('no free TCP port on 127.0.0.1');
  return any;
}

/** `n` distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
