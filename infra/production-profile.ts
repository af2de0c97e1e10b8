// APP_ENV=production: what is right for a first look on one machine and wrong for an MSP's production,
// refused together in one message so that one edit of the environment fixes them all. Development keeps
// every default.

/** The settings the profile reads, as loadConfig parsed them. */
type Settings = {
  SECRETS_KEY?: string;
  CONTROL_PLANE_SIGNING_KEY?: string;
  APPROVAL_GRANT_KEY?: string;
  APPROVAL_GRANT_PUBLIC_KEY?: string;
  ADMIN_EMAIL: string;
  ADMIN_PASSWORD?: string;
  PUBLIC_URL?: string;
  TEMPORAL_ADDRESS?: string;
  DATABASE_URL?: string;
  TEMPORAL_TLS_CERT_FILE?: string;
  TEMPORAL_TLS_CA_FILE?: string;
  TEMPORAL_TLS_SERVER_NAME?: string;
};

export const DEVELOPMENT_ADMIN_EMAIL = 'admin@example.com';

/** Each problem names its variable and what to set instead; none for a configuration fit for production. */
export function productionProblems(c: Settings): string[] {
  const problems: string[] = [];
  const generatedKey = (name: string, what: string) =>
    `${name} is not set: ${what} would be generated into the data folder, where a lost or copied disk takes it along; configure it (from your secret store)`;
  if (!c.SECRETS_KEY) problems.push(generatedKey('SECRETS_KEY', 'the key that seals connection credentials'));
  if (!c.CONTROL_PLANE_SIGNING_KEY) problems.push(generatedKey('CONTROL_PLANE_SIGNING_KEY', 'the key that signs node jobs'));
  // Only the web processes sign grants; a worker (or the door) given the public half alone generates nothing.
  if (!c.APPROVAL_GRANT_KEY && !c.APPROVAL_GRANT_PUBLIC_KEY) problems.push(generatedKey('APPROVAL_GRANT_KEY', 'the key that signs approval grants'));
  if (c.ADMIN_EMAIL === DEVELOPMENT_ADMIN_EMAIL) problems.push(`ADMIN_EMAIL is the default ${DEVELOPMENT_ADMIN_EMAIL}: set the first MSP admin's real address`);
  if (!c.ADMIN_PASSWORD) problems.push('ADMIN_PASSWORD is not set: a generated password would be printed to the console; set it (and change it after the first sign-in)');
  if (!c.PUBLIC_URL) problems.push('PUBLIC_URL is not set: the console would call itself http://localhost; set its https:// address');
  else if (!c.PUBLIC_URL.startsWith('https://')) problems.push(`PUBLIC_URL is ${c.PUBLIC_URL}: sessions and OAuth callbacks need https://`);
  if (!c.TEMPORAL_ADDRESS)
    problems.push('TEMPORAL_ADDRESS is not set: the Temporal dev server would run here, one process with its history in the data folder; point it at your Temporal cluster');
  if (!c.DATABASE_URL) problems.push('DATABASE_URL is not set: the embedded PostgreSQL would run here; point it at your PostgreSQL server');
  if (!c.TEMPORAL_TLS_CERT_FILE && !c.TEMPORAL_TLS_CA_FILE && !c.TEMPORAL_TLS_SERVER_NAME)
    problems.push('No TLS to Temporal: set TEMPORAL_TLS_CA_FILE (and TEMPORAL_TLS_CERT_FILE with TEMPORAL_TLS_KEY_FILE where the cluster requires client certificates)');
  return problems;
}
