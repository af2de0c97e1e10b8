// The deliberate contract steps: statements of migrations that remove or reshape what an earlier release
// used, which `npm run release:check` lets through although they are not expand-only (ADR 0028). A
// migration is expand-only by default, so that the previous release keeps running on the new schema and a
// roll back is "start the previous release". An entry here is allowed only when the release BEFORE this
// one's previous release was the last to use what the statement removes: the previous release must no
// longer read or write it (say which release stopped, in `why`). Keep an entry while its migration is
// newer than the previous tag; remove it after the next release.
export interface ContractStep {
  /** The migration's file name in db/migrations (follow it if the file is renumbered). */
  migration: string;
  /** Text of the statement, as written (case-insensitive, spacing ignored): the entry covers that statement only. */
  statement: string;
  /** Why the previous release does not need what it removes, naming the release that stopped using it. */
  why: string;
}

export const CONTRACT_STEPS: ContractStep[] = [];
