import { Form, Link } from 'react-router';
import { getInstanceLogs } from '../../../../api/instances/logs.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { usePolling } from '../../components/live.ts';
import { attempt } from '../../service-errors.server.ts';
import type { Route } from './+types/logs.ts';
import { FormError } from '../../components/forms.tsx';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData?.result.ok ? loaderData.result.value.instanceName : 'Instance'} logs · Anthropy Works` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const search = new URL(request.url).searchParams;
  const query = Object.fromEntries(['container', 'tail', 'since', 'follow'].flatMap((k) => (search.get(k) ? [[k, search.get(k)!]] : [])));
  // Bad options, an offline node or an unreachable Temporal: the page says why, with the form to try again.
  const result = await attempt(() => getInstanceLogs(ctx, params.instanceId, query));
  return { result, follow: search.get('follow') === '1', tail: Number(search.get('tail') ?? 200), container: search.get('container') ?? 'gateway' };
}

function Follow() {
  usePolling(3000); // a container's new lines are in no record: ask the node again
  return (
    <span className="muted" role="status">
      Following: new lines appear every few seconds.
    </span>
  );
}

export default function InstanceLogs({ loaderData }: Route.ComponentProps) {
  const { result, follow, tail, container } = loaderData;
  const logs = result.ok ? result.value : null;
  return (
    <>
      <h1>Logs{logs && ` of ${logs.instanceName}`}</h1>
      <Form method="get" className="row" aria-label="Which logs">
        <label>
          Container
          <select name="container" defaultValue={container}>
            <option value="gateway">gateway</option>
            <option value="cli">helper (openclaw-cli)</option>
          </select>
        </label>
        <label>
          Last lines <input name="tail" type="number" min={1} max={2000} defaultValue={tail} />
        </label>
        <label>
          <input type="checkbox" name="follow" value="1" defaultChecked={follow} /> Follow
        </label>
        <button type="submit" className="secondary">
          Show
        </button>
      </Form>
      {follow && <Follow />}
      <FormError message={!result.ok && (Object.values(result.fieldErrors)[0] ?? result.formError)} />
      {logs && (
        <>
          <p className="muted">
            Read on the node and redacted there: tokens, passwords and keys never leave the machine.
            {logs.truncated && ` Only the last ${tail} lines are shown: older ones may exist.`}
          </p>
          <pre className="logs" data-testid="logs">
            {logs.lines.length === 0 ? 'No lines.' : logs.lines.map((l) => `${l.at.slice(11, 23)} ${l.stream === 'stderr' ? '!' : ' '} ${l.text}`).join('\n')}
          </pre>
        </>
      )}
      <p>
        <Link to="/jobs">Jobs</Link>
      </p>
    </>
  );
}
