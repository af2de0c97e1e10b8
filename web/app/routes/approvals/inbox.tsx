// The Approvals inbox: what waits for the signed-in person's decision, across jobs and workflow runs.
// Each request opens on its job's page, where the person types the phrase (a POST); opening a link here
// never approves anything.
import { Link } from 'react-router';
import { listInbox } from '../../../../api/approvals/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { timeLeft } from '../../components/dates.ts';
import { useLiveData } from '../../components/live.ts';
import { TableHead } from '../../components/table.tsx';
import { jobTarget } from '../jobs/job-view.tsx';
import type { Route } from './+types/inbox.ts';
import { EmptyState } from '../../components/empty-state.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Approvals · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  return listInbox(ctx);
}

export default function Approvals({ loaderData }: Route.ComponentProps) {
  useLiveData(5000, ['job', 'approver_group']); // requests, approvals by others, expiries, group membership
  const { items } = loaderData;
  return (
    <>
      <h1>Approvals</h1>
      <p className="muted">
        Requests waiting for your decision, soonest to expire first. Open one to see what it will do and type its phrase; a request that needs several people shows how many have
        approved.
      </p>
      {items.length === 0 ? (
        <EmptyState next="Requests you may decide appear here as soon as they are made.">Nothing waits for your approval.</EmptyState>
      ) : (
        <table data-testid="approvals">
          <TableHead columns={['Request', 'Target', 'Organization', 'Requested by', 'Step', 'Approvals', 'Who may approve', 'Time left']} />
          <tbody>
            {items.map(({ job, approvers, secondsLeft }) => (
              <tr key={job.id}>
                <td>
                  <Link to={`/jobs/${job.id}`}>{job.label}</Link>
                </td>
                <td>{jobTarget(job)}</td>
                <td>{job.organizationName}</td>
                <td>{job.requestedBy ?? '—'}</td>
                <td>{job.step ?? '—'}</td>
                <td data-testid="approval-progress">{job.approvalProgress ? `${job.approvalProgress.given} of ${job.approvalProgress.needed}` : '—'}</td>
                <td>{approvers}</td>
                <td title={job.approvalExpiresAt ?? ''}>{timeLeft(secondsLeft)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
