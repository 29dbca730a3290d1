/**
 * The Nest Express app of the HTTP suite: boots, reports its port, answers CPU probes (its own
 * CPU time, which outside load on the machine disturbs far less than requests/s), serves until
 * told to stop.
 */
import { sendToParent, waitForParent, type SuiteMessage, type SuiteParams } from '../lib/suite-protocol.js';

export interface ServerProbe {
  readonly cpuUs: number;
}

export async function run(_params: SuiteParams): Promise<{ served: true }> {
  const { bootHttpApp } = await import('../cases/nest-bench.app.js');
  const { app, port } = await bootHttpApp();
  process.on('message', (message: SuiteMessage) => {
    if (message?.type !== 'probe') return;
    const usage = process.cpuUsage();
    const probe: ServerProbe = { cpuUs: usage.user + usage.system };
    void sendToParent({ type: 'probe', data: probe });
  });
  const stopped = waitForParent('stop');
  await sendToParent({ type: 'ready', data: { port } });
  await stopped;
  await app.close();
  return { served: true };
}
