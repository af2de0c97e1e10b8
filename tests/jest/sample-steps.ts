// Steps of the example workflow ("list the Acme shared folder, then restart the Acme gateway"),
// shared by the step model's tests and the run interpreter's.
import type { Step } from '../../protocol/workflow-definition.ts';

export const driveListStep = (connectionId: string, input: Record<string, unknown> = {}): Extract<Step, { kind: 'connection_action' }> => ({
  id: 'list',
  name: 'List the shared folder',
  kind: 'connection_action',
  capabilityKey: 'google_drive',
  action: 'files.list',
  connectionId,
  input,
});
