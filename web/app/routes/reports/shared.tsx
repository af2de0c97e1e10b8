// The public page a report share link opens (ADR 0021): no sign-in, outside the console's layout. The token in
// the path is the only credential; the page shows that organization's report for the link's fixed period,
// read only, and for a revoked or expired link (410) or one never issued (404) only a sentence saying so.
import { data } from 'react-router';
import { openSharedReport, ShareLinkError } from '../../../../api/reports/share-links.ts';
import { getDb } from '../../../../db/client.ts';
import { ReportView } from './report-view.tsx';
import type { Route } from './+types/shared.ts';

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: loaderData?.report ? `Report: ${loaderData.report.organization.name}` : 'Report link · Anthropy Works' },
  { name: 'robots', content: 'noindex, nofollow' },
];

// The token is in the URL: never send it on as a referrer, never cache the page, never index it.
export const headers: Route.HeadersFunction = () => ({ 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex, nofollow' });

export async function loader({ params }: Route.LoaderArgs) {
  try {
    return { report: await openSharedReport(getDb(), params.token), problem: null };
  } catch (err) {
    if (err instanceof ShareLinkError) return data({ report: null, problem: { kind: err.problem, message: err.message } }, { status: err.status });
    throw err;
  }
}

export default function SharedReport({ loaderData }: Route.ComponentProps) {
  const { report, problem } = loaderData;
  if (!report) {
    return (
      <main className="centered">
        <h1>{problem?.kind === 'revoked' ? 'This link has been revoked' : problem?.kind === 'expired' ? 'This link has expired' : 'Report link not found'}</h1>
        <p data-testid="shared-report-problem">{problem?.message}</p>
      </main>
    );
  }
  return (
    <main className="report-page">
      <ReportView report={report} />
      <p className="muted report-footer">A read-only report shared by your managed service provider through Anthropy Works.</p>
    </main>
  );
}
