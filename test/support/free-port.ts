/** A TCP port free on the loopback interface right now, for a server a test starts. */
import net from 'node:net';

/** Asks the system for a free port and gives it back (a test then binds it, or hands it to a child). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
