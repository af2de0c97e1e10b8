// What each form on the node page hands its server logic: the person, the node of the page and the form.
import type { ServiceContext } from '../../../../api/authz.ts';

export interface NodeIntentArgs {
  ctx: ServiceContext;
  nodeId: string;
  form: FormData;
}
