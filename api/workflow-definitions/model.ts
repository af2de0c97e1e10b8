// A workflow definition as the API takes and returns it. The step model itself is the shared one in
// protocol/workflow-definition.ts (the run interpreter reads the same); this file adds the organization,
// names people read (no spoofing characters: api/display-text.ts) and the outputs.
import { z } from 'zod';
import { DefinitionContent, DefinitionExport, EXPORT_FORMAT, EXPORT_FORMAT_VERSION, StepConfirmation, Steps } from '../../protocol/workflow-definition.ts';
import { displayName, displayText } from '../display-text.ts';
import { VerdictOutput } from '../policy/service.ts';

const organizationId = z.string('organizationId is required').uuid('organizationId must be a UUID');
const name = displayName('name', 100);
const description = displayText('description', 2000, { trim: true });

export const CreateDefinitionInput = DefinitionContent.extend({ organizationId, name, description: description.default('') });

/** A save: the whole content again (a field left out keeps the current version's). */
export const SaveVersionInput = z.object({
  name: name.optional(),
  description: description.optional(),
  steps: Steps,
});

export const DuplicateInput = z.object({ name: name.optional().describe('The copy’s name; default "Copy of <name>"') });

export const ImportInput = z.object({
  organizationId,
  name: name.optional().describe('A name for the imported definition instead of the document’s'),
  definition: DefinitionExport.extend({ name, description: description.default('') }).describe(
    `A document GET /workflow-definitions/{id}/export answered (format ${EXPORT_FORMAT}, version ${EXPORT_FORMAT_VERSION})`,
  ),
});

export const ListDefinitionsQuery = z.object({
  organizationId: organizationId.optional(),
  archived: z.enum(['exclude', 'include', 'only'], 'archived is exclude, include or only').default('exclude'),
});

/** A preview of steps not saved yet (the editor asks before saving). */
export const PreviewStepsInput = z.object({ organizationId, steps: Steps });
export const PreviewVersionInput = z.object({
  version: z.number('version must be a number').int().min(1, 'version is at least 1').max(1_000_000_000).optional().describe('Which version; default the current one'),
});

export const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
export const VersionParams = IdParams.extend({ number: z.string().regex(/^[1-9][0-9]{0,8}$/, 'number is a version number (1, 2, 3…)') });

export const VersionSummary = z.object({ number: z.number().int(), contentHash: z.string(), stepCount: z.number().int(), createdBy: z.string().nullable(), createdAt: z.string() });
export type VersionSummary = z.infer<typeof VersionSummary>;

export const DefinitionSummary = z.object({
  id: z.string().uuid(),
  organizationId: z.string().uuid(),
  organizationName: z.string(),
  name: z.string(),
  description: z.string(),
  archivedAt: z.string().nullable(),
  currentVersion: VersionSummary,
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DefinitionSummary = z.infer<typeof DefinitionSummary>;

export const DefinitionOutput = DefinitionSummary.extend({
  steps: Steps.describe('The current version’s steps'),
  versions: z.array(VersionSummary).describe('Every version, newest first'),
});
export type DefinitionOutput = z.infer<typeof DefinitionOutput>;

export const SaveOutput = DefinitionOutput.extend({
  versionCreated: z.boolean().describe('false when the content was the same as the current version’s (same hash): no version was added'),
});

export const VersionOutput = VersionSummary.extend({ definitionId: z.string().uuid(), name: z.string(), description: z.string(), steps: Steps });
export type VersionOutput = z.infer<typeof VersionOutput>;

export const StepVerdictOutput = z.object({
  index: z.number().int(),
  stepId: z.string(),
  name: z.string(),
  kind: z.string(),
  capabilityKey: z.string().nullable().describe('The capability the policy engine was asked about (none for built-in steps)'),
  action: z.string().nullable(),
  verdict: VerdictOutput.nullable().describe('The policy engine’s answer; null for a built-in step (see builtIn)'),
  builtIn: z.string().nullable().describe('For wait_for_person and notify: what the step does without the policy engine'),
  stepConfirmation: StepConfirmation.nullable().describe('The step’s own confirmation, stricter than the permission’s (enforced at run time)'),
});
export const PolicyPreviewOutput = z.object({ organizationId: z.string().uuid(), version: z.number().int().nullable(), steps: z.array(StepVerdictOutput) });
export type PolicyPreviewOutput = z.infer<typeof PolicyPreviewOutput>;
