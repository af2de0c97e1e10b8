import { Form, Link, useNavigation } from 'react-router';
import type { ReactNode } from 'react';
import {
  beginEnrolment,
  cancelEnrolment,
  confirmEnrolment,
  disableTwoFactor,
  getTwoFactorStatus,
  regenerateRecoveryCodes,
  RECOVERY_CODE_COUNT,
} from '../../../../api/auth/totp.ts';
import type { FieldErrors } from '../../../../api/errors.ts';
import { clientIp } from '../../auth/client-ip.server.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, load } from '../../service-errors.server.ts';
import { FieldError, FormError } from '../../components/forms.tsx';
import { DateTime } from '../../components/time-zone.tsx';
import type { Route } from './+types/two-factor.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Two-factor sign-in · Anthropy Works' }];

// requireContext lets a session that must first turn two-factor on (the MSP requires it of its staff)
// through to exactly this page.
export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const status = await load(() => getTwoFactorStatus(ctx));
  return { status, mustEnrol: status.requiredForMe && !status.enabled };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = { ...(await requireContext(request)), ip: clientIp(request) };
  const form = await request.formData();
  const intent = String(form.get('intent') ?? '');
  const code = form.get('code');
  switch (intent) {
    case 'begin':
      return { intent, result: await attempt(() => beginEnrolment(ctx).then(() => null)) };
    case 'cancel':
      return { intent, result: await attempt(() => cancelEnrolment(ctx).then(() => null)) };
    case 'confirm':
      return { intent, result: await attempt(() => confirmEnrolment(ctx, code).then((r) => r.recoveryCodes)) };
    case 'disable':
      return { intent, result: await attempt(() => disableTwoFactor(ctx, code).then(() => null)) };
    case 'regenerate':
      return { intent, result: await attempt(() => regenerateRecoveryCodes(ctx, code).then((r) => r.recoveryCodes)) };
    default:
      return { intent, result: { ok: false as const, fieldErrors: {} as FieldErrors, formError: 'Unknown action.' } };
  }
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="card" aria-label="Recovery codes">
      <h2>Your recovery codes</h2>
      <p>
        Keep these {codes.length} codes somewhere safe, apart from your phone. Each one signs you in once if you lose your authenticator app.{' '}
        <strong>They are shown only now.</strong>
      </p>
      <div className="secret" data-testid="recovery-codes">
        <ul>
          {codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

// What the two changes that a current code confirms say on their card.
const CODE_CONFIRMED = {
  regenerate: { ariaLabel: 'New recovery codes', heading: 'New recovery codes', submit: 'New recovery codes', submitClass: 'secondary' },
  disable: { ariaLabel: 'Turn off two-factor sign-in', heading: 'Turn off', submit: 'Turn off two-factor sign-in', submitClass: 'danger' },
};

/**
 * A change to two-factor sign-in that a current code must confirm (an app code or a recovery code, so
 * a lost phone does not lock the change away): its card with the code field and the button.
 */
function CodeConfirmedForm({ intent, error, busy, children }: { intent: keyof typeof CODE_CONFIRMED; error: string | null | undefined; busy: boolean; children?: ReactNode }) {
  const { ariaLabel, heading, submit, submitClass } = CODE_CONFIRMED[intent];
  return (
    <Form method="post" className="card" aria-label={ariaLabel}>
      <h2>{heading}</h2>
      {children}
      <input type="hidden" name="intent" value={intent} />
      <div className="row">
        <label>
          Code from your app, or a recovery code
          <input name="code" autoComplete="one-time-code" required aria-invalid={Boolean(error)} />
        </label>
        <button type="submit" className={submitClass} disabled={busy}>
          {submit}
        </button>
      </div>
      <FieldError alert message={error} />
    </Form>
  );
}

export default function AccountTwoFactor({ loaderData, actionData }: Route.ComponentProps) {
  const { status, mustEnrol } = loaderData;
  const busy = useNavigation().state !== 'idle';
  const result = actionData?.result;
  const failed = result && !result.ok ? result : null;
  const errorFor = (intent: string) => (failed && actionData?.intent === intent ? (failed.fieldErrors.code ?? failed.formError) : null);
  const newCodes = result?.ok && Array.isArray(result.value) ? result.value : null;
  const generalError = failed && !['confirm', 'disable', 'regenerate'].includes(actionData?.intent ?? '') ? failed.formError : null;

  return (
    <>
      <h1>Two-factor sign-in</h1>
      {mustEnrol && (
        <p className="card error" role="alert" data-testid="two-factor-required">
          Your MSP requires two-factor sign-in for all MSP staff. Turn it on here before using the console.
        </p>
      )}
      <p>
        Status:{' '}
        {status.enabled ? (
          <span className="badge success" data-testid="two-factor-status">
            on
          </span>
        ) : (
          <span className="badge" data-testid="two-factor-status">
            off
          </span>
        )}
        {status.enabledAt && (
          <span className="muted">
            {' '}
            since <DateTime iso={status.enabledAt} />
          </span>
        )}
      </p>
      <FormError message={generalError} />
      {newCodes && <RecoveryCodes codes={newCodes} />}

      {!status.enabled && !status.pending && (
        <Form method="post" className="card" aria-label="Turn on two-factor sign-in">
          <p>
            With two-factor sign-in, signing in needs your password and a 6-digit code from an authenticator app on your phone (any TOTP app: 1Password, Google Authenticator,
            Microsoft Authenticator, Aegis…).
          </p>
          <input type="hidden" name="intent" value="begin" />
          <button type="submit" disabled={busy}>
            Turn on two-factor sign-in
          </button>
        </Form>
      )}

      {!status.enabled && status.pending && (
        <div className="card" aria-label="Set up your authenticator app">
          <h2>Set up your authenticator app</h2>
          <p>Add an account in your app with this key (choose “enter a setup key”, time-based):</p>
          <div className="secret" data-testid="totp-secret">
            {status.pending.secretBase32}
          </div>
          <p className="muted">Or, where your app accepts a link, use this address:</p>
          <div className="secret" data-testid="totp-uri">
            {status.pending.uri}
          </div>
          <Form method="post" className="row">
            <input type="hidden" name="intent" value="confirm" />
            <label>
              Code from your app
              <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={7} required aria-invalid={Boolean(errorFor('confirm'))} />
            </label>
            <button type="submit" disabled={busy}>
              Confirm and turn on
            </button>
          </Form>
          <FieldError alert message={errorFor('confirm')} />
          <Form method="post">
            <input type="hidden" name="intent" value="cancel" />
            <button type="submit" className="link">
              Cancel
            </button>
          </Form>
        </div>
      )}

      {status.enabled && (
        <>
          <p className="muted" data-testid="recovery-codes-left">
            {status.recoveryCodesLeft} of {RECOVERY_CODE_COUNT} recovery codes left.
          </p>
          <CodeConfirmedForm intent="regenerate" error={errorFor('regenerate')} busy={busy}>
            <p>Makes {RECOVERY_CODE_COUNT} new recovery codes; the old ones stop working.</p>
          </CodeConfirmedForm>
          {status.requiredForMe ? (
            <p className="muted card">Your MSP requires two-factor sign-in for all MSP staff, so it cannot be turned off.</p>
          ) : (
            <CodeConfirmedForm intent="disable" error={errorFor('disable')} busy={busy} />
          )}
        </>
      )}
      {!mustEnrol && (
        <p>
          <Link to="/account">Back to your account</Link>
        </p>
      )}
    </>
  );
}
