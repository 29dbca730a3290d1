/**
 * The Nest Express apps of the HTTP suite, metrics off and on (two apps, one process): boots,
 * reports their ports, answers CPU probes (its own CPU time, which outside load on the machine
 * disturbs far less than requests/s), serves until told to stop.
 */
import { sendToParent, waitForParent, type SuiteMessage, type SuiteParams } from '../lib/suite-protocol.js';

export interface ServerProbe {
  readonly cpuUs: number;
}

/** `port`: the app without metrics (`/bare`, `/decorated`); `metricsPort`: the same app with Prometheus metrics on. */
export interface HttpServerPorts {
  readonly port: number;
  readonly metricsPort: number;
}

export async function run(_params: SuiteParams): Promise<{ served: true }> {
  const { bootHttpApp } = await import('../cases/nest-bench.app.js');
  const { app, port } = await bootHttpApp();
  const observed = await bootHttpApp(true);
  process.on('message', (message: SuiteMessage) => {
    if (message?.type !== 'probe') return;
    const usage = process.cpuUsage();
    const probe: ServerProbe = { cpuUs: usage.user + usage.system };
    void sendToParent({ type: 'probe', data: probe });
  });
  const stopped = waitForParent('stop');
  const ports: HttpServerPorts = { port, metricsPort: observed.port };
  await sendToParent({ type: 'ready', data: ports });
  await stopped;
  await app.close();
  await observed.app.close();
  return { served: true };
}
