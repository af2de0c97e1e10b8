// The raw workflow's worker (raw-workflow.ts), in a process of its own as the control-plane worker is:
// TEMPORAL_ADDRESS, BENCH_RAW_QUEUE. Says "raw worker running" once it polls.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const worker = await Worker.create({
  connection,
  namespace: 'default',
  taskQueue: process.env.BENCH_RAW_QUEUE!,
  workflowsPath: fileURLToPath(new URL('./raw-workflow.ts', import.meta.url)),
});
process.once('SIGTERM', () => worker.shutdown());
console.log('raw worker running');
await worker.run();
await connection.close();
