// Google for the tests, on loopback: the authorization server and the Drive API together, with the
// environment that points the product at them (what global-setup passes to the web process, and what
// Jest tests set in their own process), and a few files to list.
import { startDriveStandIn, type DriveFile, type DriveStandIn } from './drive-server.ts';
import { startOAuthStandIn, type OAuthStandIn } from './google-oauth-server.ts';
import { closeAll, oauthEnv } from './oidc-server.ts';

export const TEST_CLIENT = { clientId: 'aw-test-client.apps.googleusercontent.com', clientSecret: 'aw-test-client-secret-not-real' };

export interface GoogleStandIn {
  oauth: OAuthStandIn;
  drive: DriveStandIn;
  /** GOOGLE_OAUTH_* and GOOGLE_DRIVE_BASE_URL for the product. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** `count` files in folder `folder-1`, a few named "Report …" (enough for several pages). */
export function sampleFiles(count = 7): DriveFile[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `file-${i + 1}`,
    name: i % 2 === 0 ? `Report ${i + 1}.pdf` : `Notes ${i + 1}.txt`,
    mimeType: i % 2 === 0 ? 'application/pdf' : 'text/plain',
    size: String(1000 * (i + 1)),
    modifiedTime: new Date(Date.UTC(2026, 10, 1 + i)).toISOString(),
    parents: ['folder-1'],
  }));
}

export async function startGoogleStandIn(opts: { redirectUri: string; refreshTokenPrefix?: string; files?: DriveFile[] }): Promise<GoogleStandIn> {
  const oauth = await startOAuthStandIn({ ...TEST_CLIENT, redirectUri: opts.redirectUri, refreshTokenPrefix: opts.refreshTokenPrefix });
  const drive = await startDriveStandIn(oauth, opts.files ?? sampleFiles());
  return {
    oauth,
    drive,
    env: { ...oauthEnv('GOOGLE', TEST_CLIENT, oauth.endpoints), GOOGLE_DRIVE_BASE_URL: drive.url },
    close: () => closeAll(drive, oauth),
  };
}
