// An organization's customer report in the console: pick the period, print it (or save it as PDF), and, for
// MSP staff, share it through read-only links that expire, and revoke them (ADR 0021).
import { data, Form, Link, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { InvalidInputError, type FieldErrors } from '../../../../api/errors.ts';
import { getOrganizationReport } from '../../../../api/reports/service.ts';
import { createShareLink, listShareLinks, MAX_SHARE_DAYS, revokeShareLink } from '../../../../api/reports/share-links.ts';
import { loadConfig } from '../../../../infra/config.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FieldError, FormError, RowAction } from '../../components/forms.tsx';
import { EmptyState } from '../../components/empty-state.tsx';
import { TableHead } from '../../components/table.tsx';
import { DateTime, useDateTimeText } from '../../components/time-zone.tsx';
import { attempt, load } from '../../service-errors.server.ts';
import { ReportView } from './report-view.tsx';
import type { Route } from './+types/report.ts';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `Report: ${loaderData?.report.organization.name ?? 'Organization'} · Anthropy Works` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const url = new URL(request.url);
  const asked = Object.fromEntries(['from', 'to'].flatMap((k) => (url.searchParams.get(k)?.trim() ? [[k, url.searchParams.get(k)!.trim()]] : [])));
  // A bad period is said beside its field, over the default period's report.
  let periodErrors: FieldErrors = {};
  let report;
  try {
    report = await load(() => getOrganizationReport(ctx, params.organizationId, asked));
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    periodErrors = err.fieldErrors;
    report = await load(() => getOrganizationReport(ctx, params.organizationId, {}));
  }
  const canShare = can(ctx.actor, 'report.share', { organizationId: params.organizationId });
  return {
    report,
    periodErrors,
    canShare,
    links: canShare ? (await listShareLinks(ctx, params.organizationId, { limit: 50 })).items : [],
    maxShareDays: MAX_SHARE_DAYS,
  };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const text = (name: string) => String(form.get(name) ?? '').trim();
  if (form.get('intent') === 'revoke-link') return { intent: 'revoke' as const, result: await attempt(() => revokeShareLink(ctx, text('id'))), url: null };
  const days = text('expiresInDays');
  const result = await attempt(() =>
    createShareLink(ctx, params.organizationId, { from: text('from') || undefined, to: text('to') || undefined, expiresInDays: days === '' ? undefined : Number(days) }),
  );
  const url = result.ok ? `${loadConfig().publicUrl.replace(/\/$/, '')}${result.value.path}` : null;
  return data({ intent: 'create' as const, result, url }, { status: result.ok ? 200 : 400 });
}

/** The first and last day of a period, each with its error. */
function PeriodFields({ period, errors }: { period: { from: string; to: string }; errors: FieldErrors }) {
  return (['from', 'to'] as const).map((field) => (
    <label key={field}>
      {field === 'from' ? 'From' : 'To'}
      <input type="date" name={field} defaultValue={period[field]} aria-invalid={Boolean(errors[field])} />
      <FieldError message={errors[field]} />
    </label>
  ));
}

export default function OrganizationReport({ loaderData, actionData }: Route.ComponentProps) {
  const { report, periodErrors, canShare, links, maxShareDays } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const dateText = useDateTimeText();
  const created = actionData?.intent === 'create' ? actionData : null;
  const createErrors = created && !created.result.ok ? created.result.fieldErrors : {};
  const revoked = actionData?.intent === 'revoke' ? actionData.result : null;
  const org = report.organization;
  return (
    <>
      <div className="no-print">
        <p>
          <Link to={`/organizations/${org.id}`}>← {org.name}</Link>
        </p>
        <Form method="get" className="row card" aria-label="Report period">
          <PeriodFields period={report.period} errors={periodErrors} />
          <button type="submit" className="secondary">
            Show
          </button>
          <button type="button" onClick={() => window.print()}>
            Print or save as PDF
          </button>
        </Form>
      </div>

      <ReportView report={report} />

      {canShare && (
        <section className="no-print card" aria-labelledby="share-links">
          <h2 id="share-links">Share links</h2>
          <p className="muted">
            A link opens this report, read only and without signing in, for the period chosen here, until it expires (at most {maxShareDays} days) or is revoked. Anyone holding it
            can open it: send it only to the customer.
          </p>
          <Form method="post" className="row" aria-label="Create share link">
            <input type="hidden" name="intent" value="create-link" />
            <PeriodFields period={report.period} errors={createErrors} />
            <label>
              Expires in (days)
              <input type="number" name="expiresInDays" min={1} max={maxShareDays} defaultValue={30} required aria-invalid={Boolean(createErrors.expiresInDays)} />
              <FieldError message={createErrors.expiresInDays} />
            </label>
            <button type="submit" disabled={busy}>
              Create share link
            </button>
          </Form>
          {created?.result.ok === false && !Object.keys(createErrors).length && <FormError message={created.result.formError} />}
          {created?.url && (
            <div className="card" role="status">
              <p>The link, shown once (only its hash is kept):</p>
              <input readOnly value={created.url} aria-label="Share link" data-testid="share-link-url" size={80} onFocus={(e) => e.target.select()} />
            </div>
          )}
          {revoked && !revoked.ok && <FormError message={revoked.formError} />}
          {links.length === 0 ? (
            <EmptyState next="Create one above; it is shown once.">No share links yet.</EmptyState>
          ) : (
            <table data-testid="share-links">
              <TableHead columns={['Period', 'Status', 'Created', 'Expires', 'Last opened', '']} />
              <tbody>
                {links.map((l) => (
                  <tr key={l.id}>
                    <td>
                      {l.from} to {l.to}
                    </td>
                    <td>
                      <span className={`badge ${l.status}`}>{l.status}</span>
                    </td>
                    <td>
                      <DateTime iso={l.createdAt} /> by {l.createdBy ?? '—'}
                    </td>
                    <td>
                      <DateTime iso={l.expiresAt} />
                    </td>
                    <td>
                      <DateTime iso={l.lastOpenedAt} none="never" />
                    </td>
                    <td>
                      {l.status === 'active' && (
                        <RowAction
                          intent="revoke-link"
                          id={l.id}
                          label="Revoke"
                          ariaLabel={`Revoke the link for ${l.from} to ${l.to} created ${dateText(l.createdAt)}`}
                          busy={busy}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}
